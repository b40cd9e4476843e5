/**
 * The one renderer build that the browser specs of a run share. The run's global setup reserves
 * a folder (its path in {@link RENDERER_BUILD_ENV}) and removes it at the end; the first worker
 * that needs the build makes it there. Building on first use keeps a run of only the live specs
 * (which serve the checkout's own build) free of it.
 */
import { access, mkdtemp, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildRendererIntoTemp } from "./fake-node";

/** The environment variable that holds the run's build folder. */
export const RENDERER_BUILD_ENV = "OFFPEAK_E2E_RENDERER_BUILD";

/** Reserves the run's build folder; the function returned removes it. */
export async function reserveRendererBuild(): Promise<() => Promise<void>> {
  const dir = await mkdtemp(path.join(tmpdir(), "offpeak-e2e-"));
  process.env[RENDERER_BUILD_ENV] = dir;
  return () => rm(dir, { recursive: true, force: true });
}

const exists = (file: string) => access(file).then(() => true, () => false);

/**
 * The folder of the run's build, built now if no worker has built it yet. Each worker builds
 * apart and renames its build into place, so two workers never see a half-written one; the
 * loser of that race drops its copy. Without a reserved folder (a run that skipped the global
 * setup) the build is this worker's own, and `release` removes it.
 */
export async function sharedRendererBuild(): Promise<{ dir: string; release(): Promise<void> }> {
  const reserved = process.env[RENDERER_BUILD_ENV];
  if (!reserved) {
    const own = await buildRendererIntoTemp();
    return { dir: own.dir, release: own.remove };
  }
  const dir = path.join(reserved, "renderer");
  if (!(await exists(dir))) {
    const fresh = await buildRendererIntoTemp();
    await rename(fresh.dir, dir).catch(async (error: unknown) => {
      if (!(await exists(dir))) throw error;
      await fresh.remove();
    });
  }
  return { dir, release: async () => {} };
}
