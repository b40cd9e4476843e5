/**
 * Decides whether `offpeak up` opens the desktop app, and opens it. Electron's binary is fetched
 * on first run; where it cannot be (a server, a machine without access to its download host, no
 * display) the node runs headless. Never imports the `electron` package, whose import starts
 * that download.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

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

/** Whether this machine can show a window at all. */
export function hasDisplay(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): boolean {
  if (platform === "darwin" || platform === "win32") return true;
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}

/**
 * Finds Electron, fetching its binary once where a window can be shown. Returns the binary or
 * the reason the desktop app cannot start here.
 */
export function prepareElectron(env: NodeJS.ProcessEnv = process.env): { ok: true; path: string } | { ok: false; reason: string } {
  if (env.OFFPEAK_HEADLESS === "1") return { ok: false, reason: "OFFPEAK_HEADLESS=1" };
  if (env.CI) return { ok: false, reason: "running under CI" };
  if (!hasDisplay(process.platform, env)) return { ok: false, reason: "no display (DISPLAY and WAYLAND_DISPLAY are not set)" };
  const found = findElectronBinary();
  if (found.ok) return found;
  let installer: string;
  try {
    installer = createRequire(import.meta.url).resolve("electron/install.js");
  } catch {
    return found;
  }
  const result = spawnSync(process.execPath, [installer], { stdio: ["ignore", "ignore", "pipe"], timeout: 300_000 });
  if (result.status !== 0) return { ok: false, reason: "the Electron binary could not be downloaded on this machine" };
  return findElectronBinary();
}

/** Builds what the window loads (dashboard, preload) and runs the desktop app until it quits. */
export async function runDesktopApp(binary: string, env: Record<string, string>): Promise<number> {
  for (const script of ["build:renderer", "build:electron"]) {
    const built = spawnSync(process.platform === "win32" ? "npm.cmd" : "npm", ["run", "--silent", script], { cwd: REPO_ROOT, stdio: "inherit" });
    if (built.status !== 0) throw new Error(`npm run ${script} failed`);
  }
  const child = spawn(binary, [REPO_ROOT], { stdio: "inherit", env: { ...process.env, ...env } });
  return new Promise((resolve) => child.once("exit", (code) => resolve(code ?? 1)));
}
