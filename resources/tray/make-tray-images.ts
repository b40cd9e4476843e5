/**
 * Draws the tray images: a coloured dot per node activity, at 16 px and 32 px (@2x), as PNG.
 * Run with `npx tsx resources/tray/make-tray-images.ts`; the images are kept in the repository.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { deflateSync } from "node:zlib";

const COLOURS: Record<string, readonly [number, number, number]> = {
  earning: [31, 157, 85],
  ready: [47, 111, 237],
  paused: [211, 139, 0],
  off: [138, 145, 156],
  connecting: [211, 139, 0],
  error: [210, 60, 60],
};

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** An RGBA PNG of a filled, anti-aliased circle (a ring for "off"). */
function dotPng(size: number, [r, g, b]: readonly [number, number, number], ring: boolean): Buffer {
  const rows: Buffer[] = [];
  const centre = size / 2;
  const outer = size * 0.36;
  const inner = outer - size * 0.12;
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 4);
    for (let x = 0; x < size; x++) {
      const d = Math.hypot(x + 0.5 - centre, y + 0.5 - centre);
      let alpha = Math.min(1, Math.max(0, outer - d + 0.5));
      if (ring) alpha *= Math.min(1, Math.max(0, d - inner + 0.5));
      row.set([r, g, b, Math.round(alpha * 255)], 1 + x * 4);
    }
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk("IHDR", header), chunk("IDAT", deflateSync(Buffer.concat(rows))), chunk("IEND", Buffer.alloc(0))]);
}

const dir = import.meta.dirname;
for (const [activity, colour] of Object.entries(COLOURS)) {
  const ring = activity === "off";
  writeFileSync(path.join(dir, `tray-${activity}.png`), dotPng(16, colour, ring));
  writeFileSync(path.join(dir, `tray-${activity}@2x.png`), dotPng(32, colour, ring));
}
