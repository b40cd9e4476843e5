/**
 * Decides whether `offpeak up` can open the desktop app. Electron's binary is fetched on first
 * run; where it is not there (servers, machines without access to its download host) the node
 * runs headless. Never imports the `electron` package, whose import starts that download.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** The Electron executable, or the reason there is none. */
export function findElectronBinary(): { ok: true; path: string } | { ok: false; reason: string } {
  let packageDir: string;
  try {
    packageDir = dirname(createRequire(import.meta.url).resolve("electron/package.json"));
  } catch {
    return { ok: false, reason: "the electron package is not installed" };
  }
  const pathFile = join(packageDir, "path.txt");
  if (!existsSync(pathFile)) return { ok: false, reason: "the Electron binary has not been downloaded on this machine" };
  const binary = join(packageDir, "dist", readFileSync(pathFile, "utf8").trim());
  if (!existsSync(binary)) return { ok: false, reason: `the Electron binary is missing (${binary})` };
  return { ok: true, path: binary };
}
