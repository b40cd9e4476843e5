/**
 * Draws the app icon: a crescent moon (off-peak hours) on a night-blue rounded square, with a
 * green dot for earning. Writes icon.png (1024 px, for the macOS .icns and the Windows .ico that
 * electron-builder derives) and png/<n>x<n>.png for Linux.
 * Run with `npx tsx resources/icons/make-app-icons.ts`; the images are kept in the repository.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { disc, distance, encodePng, minus, rasterise, type Layer, type Shape } from "../png-image";

/** Sizes of the Linux icon set (and what desktop environments ask for). */
export const LINUX_ICON_SIZES = [16, 32, 48, 64, 128, 256, 512, 1024] as const;

/** A square with rounded corners, inset from the edges as macOS icons are. */
function roundedSquare(inset: number, radius: number): Shape {
  return (x, y) => {
    const lo = inset + radius;
    const hi = 1 - inset - radius;
    const cx = Math.min(Math.max(x, lo), hi);
    const cy = Math.min(Math.max(y, lo), hi);
    return x >= inset && x <= 1 - inset && y >= inset && y <= 1 - inset && distance(x, y, cx, cy) <= radius;
  };
}

const LAYERS: readonly Layer[] = [
  // Night sky: deep blue at the top to indigo at the bottom.
  {
    shape: roundedSquare(0.08, 0.18),
    colour: (_x, y) => [Math.round(18 + 30 * y), Math.round(28 + 20 * y), Math.round(70 + 60 * y)],
  },
  // The crescent: a disc with an offset disc taken out.
  { shape: minus(disc(0.27, 0.47, 0.47), disc(0.23, 0.58, 0.38)), colour: [255, 214, 102] },
  // Earning.
  { shape: disc(0.085, 0.7, 0.7), colour: [60, 207, 125] },
];

/** The icon as a PNG of `size` pixels. */
export function appIconPng(size: number): Buffer {
  return encodePng(size, rasterise(size, LAYERS));
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const dir = import.meta.dirname;
  writeFileSync(path.join(dir, "icon.png"), appIconPng(1024));
  mkdirSync(path.join(dir, "png"), { recursive: true });
  for (const size of LINUX_ICON_SIZES) writeFileSync(path.join(dir, "png", `${size}x${size}.png`), appIconPng(size));
}
