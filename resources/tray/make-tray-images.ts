/**
 * Draws the tray images: for each node activity a shape that says it without colour (template
 * images for the macOS menu bar: black and alpha only), and the same shape in colour for light
 * and dark taskbars on Windows and Linux; each at 16 px and 32 px (@2x).
 * Run with `npx tsx resources/tray/make-tray-images.ts`; the images are kept in the repository.
 */
import { readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { NodeActivity } from "../../shared/control-api";
import { retinaName, TRAY_IMAGE_VARIANTS, TRAY_STATES, trayImageName, type TrayImageVariant } from "../../electron/main/tray-images";
import { disc, distance, encodePng, minus, rasterise, rect, ring, union, type Rgb, type Shape } from "../png-image";

/** Dashes around a ring: the node is still looking for the coordinator. */
const dashedRing: Shape = (x, y) => {
  const turn = (Math.atan2(y - 0.5, x - 0.5) / (2 * Math.PI) + 1) % 1;
  return ring(0.42, 0.13)(x, y) && Math.floor(turn * 8) % 2 === 0;
};

/** One shape per state, told apart in a monochrome menu bar. */
export const TRAY_SHAPES: Readonly<Record<NodeActivity, Shape>> = {
  // A full disc: working and earning.
  earning: disc(0.42),
  // A ring with a dot: on, waiting for a job.
  ready: union(ring(0.42, 0.12), disc(0.14)),
  connecting: dashedRing,
  // The pause sign.
  paused: union(rect(0.24, 0.16, 0.42, 0.84), rect(0.58, 0.16, 0.76, 0.84)),
  // A thin, empty ring.
  off: ring(0.42, 0.08),
  // A disc with an exclamation mark cut out.
  error: minus(disc(0.44), union(rect(0.43, 0.17, 0.57, 0.58), (x, y) => distance(x, y, 0.5, 0.74) < 0.08)),
};

/** Colours for a light taskbar (darker tones) and a dark one (brighter tones). */
const COLOURS: Readonly<Record<"light" | "dark", Readonly<Record<NodeActivity, Rgb>>>> = {
  light: {
    earning: [24, 128, 68],
    ready: [37, 99, 235],
    connecting: [180, 110, 0],
    paused: [180, 110, 0],
    off: [90, 96, 108],
    error: [200, 40, 40],
  },
  dark: {
    earning: [74, 222, 128],
    ready: [110, 170, 255],
    connecting: [251, 191, 36],
    paused: [251, 191, 36],
    off: [210, 214, 220],
    error: [255, 120, 120],
  },
};

/** The PNG of one state in one variant at one size. */
export function trayPng(activity: NodeActivity, variant: TrayImageVariant, size: number): Buffer {
  const colour: Rgb = variant === "template" ? [0, 0, 0] : COLOURS[variant][activity];
  return encodePng(size, rasterise(size, [{ shape: TRAY_SHAPES[activity], colour }]));
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const dir = import.meta.dirname;
  for (const old of readdirSync(dir).filter((f) => f.endsWith(".png"))) rmSync(path.join(dir, old));
  for (const activity of TRAY_STATES) {
    for (const variant of TRAY_IMAGE_VARIANTS) {
      const name = trayImageName(activity, variant);
      writeFileSync(path.join(dir, name), trayPng(activity, variant, 16));
      writeFileSync(path.join(dir, retinaName(name)), trayPng(activity, variant, 32));
    }
  }
}
