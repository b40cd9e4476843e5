/**
 * The small raster toolkit the image generators share: shapes as coverage functions on the unit
 * square, drawn with 4×4 supersampling (anti-aliased edges), and an RGBA PNG encoder. Used by
 * resources/tray/make-tray-images.ts and resources/icons/make-app-icons.ts; no dependencies.
 */
import { deflateSync, inflateSync } from "node:zlib";

/** True where a point (unit coordinates, y down) is inside the shape. */
export type Shape = (x: number, y: number) => boolean;
export type Rgb = readonly [number, number, number];
/** One shape painted in one colour; later layers paint over earlier ones. */
export interface Layer {
  readonly shape: Shape;
  readonly colour: Rgb | ((x: number, y: number) => Rgb);
}

const SUBSAMPLES = 4;

/** Rasterises layers into straight (non-premultiplied) RGBA bytes, row by row. */
export function rasterise(size: number, layers: readonly Layer[]): Uint8Array {
  const pixels = new Uint8Array(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let [r, g, b, a] = [0, 0, 0, 0];
      for (const layer of layers) {
        let hits = 0;
        for (let sy = 0; sy < SUBSAMPLES; sy++) {
          for (let sx = 0; sx < SUBSAMPLES; sx++) {
            if (layer.shape((px + (sx + 0.5) / SUBSAMPLES) / size, (py + (sy + 0.5) / SUBSAMPLES) / size)) hits++;
          }
        }
        if (hits === 0) continue;
        const coverage = hits / (SUBSAMPLES * SUBSAMPLES);
        const [lr, lg, lb] = typeof layer.colour === "function" ? layer.colour((px + 0.5) / size, (py + 0.5) / size) : layer.colour;
        // "Over" compositing of the layer on what is below.
        const outA = coverage + a * (1 - coverage);
        r = (lr * coverage + r * a * (1 - coverage)) / outA;
        g = (lg * coverage + g * a * (1 - coverage)) / outA;
        b = (lb * coverage + b * a * (1 - coverage)) / outA;
        a = outA;
      }
      pixels.set([Math.round(r), Math.round(g), Math.round(b), Math.round(a * 255)], (py * size + px) * 4);
    }
  }
  return pixels;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Encodes square RGBA bytes as an 8-bit RGBA PNG. */
export function encodePng(size: number, rgba: Uint8Array): Buffer {
  const rows: Buffer[] = [];
  for (let y = 0; y < size; y++) {
    rows.push(Buffer.concat([Buffer.from([0]), rgba.subarray(y * size * 4, (y + 1) * size * 4)]));
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([SIGNATURE, chunk("IHDR", header), chunk("IDAT", deflateSync(Buffer.concat(rows))), chunk("IEND", Buffer.alloc(0))]);
}

/** Decodes a PNG this module wrote (8-bit RGBA, filter 0), for tests that look at the pixels. */
export function decodePng(png: Buffer): { width: number; height: number; rgba: Uint8Array } {
  if (!png.subarray(0, 8).equals(SIGNATURE)) throw new Error("not a PNG");
  let offset = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString("ascii", offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data[8] !== 8 || data[9] !== 6) throw new Error("only 8-bit RGBA PNGs are read here");
    } else if (type === "IDAT") idat.push(data);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const start = y * (width * 4 + 1);
    if (raw[start] !== 0) throw new Error("only unfiltered rows are read here");
    rgba.set(raw.subarray(start + 1, start + 1 + width * 4), y * width * 4);
  }
  return { width, height, rgba };
}

/** Distance from the centre of the unit square. */
export const distance = (x: number, y: number, cx = 0.5, cy = 0.5): number => Math.hypot(x - cx, y - cy);
export const disc = (r: number, cx = 0.5, cy = 0.5): Shape => (x, y) => distance(x, y, cx, cy) < r;
export const ring = (r: number, width: number): Shape => (x, y) => {
  const d = distance(x, y);
  return d < r && d > r - width;
};
export const rect = (x0: number, y0: number, x1: number, y1: number): Shape => (x, y) => x >= x0 && x <= x1 && y >= y0 && y <= y1;
export const union = (...shapes: Shape[]): Shape => (x, y) => shapes.some((s) => s(x, y));
export const minus = (shape: Shape, hole: Shape): Shape => (x, y) => shape(x, y) && !hole(x, y);
