/**
 * The built dashboard served by the real control server in front of an in-memory agent
 * (FakeControlApi), for browser specs that drive the agent's side from the test.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { build } from "vite";
import { startControlServer, type ControlServer } from "../../electron/agent/control-server";
import { FakeControlApi } from "../../tests/fake-electron/fake-control-api";

const repoRoot = path.resolve(import.meta.dirname, "..", "..");

/** Builds the renderer into a fresh temporary folder (so no other build can interfere). */
export async function buildRendererIntoTemp(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), "offpeak-renderer-"));
  await build({
    configFile: path.join(repoRoot, "renderer", "vite.config.ts"),
    logLevel: "warn",
    build: { outDir: dir, emptyOutDir: true, sourcemap: false },
  });
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A fake agent behind a real control server on a free port. */
export async function startFakeNode(staticDir: string, control = new FakeControlApi()): Promise<{ control: FakeControlApi; server: ControlServer }> {
  const server = await startControlServer({ control, staticDir });
  return { control, server };
}
