/**
 * Test fixture for commands that talk to a running node: a real control server in front of the
 * in-memory agent the UI tests use, announced in a data folder's control file as a running node
 * announces itself, so the command finds it the way a person's shell would.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FakeControlApi } from "../../tests/fake-electron/fake-control-api";
import { writeControlFile } from "../agent/control-file";
import { startControlServer, type ControlServer } from "../agent/control-server";
import { prepareDataDir } from "../agent/data-dir";

/** A node reachable through `dataDir`'s control file. */
export interface CliNode {
  readonly dataDir: string;
  readonly server: ControlServer;
  close(): Promise<void>;
}

export async function startCliNode(control: FakeControlApi, name: string, startedAt = Date.now()): Promise<CliNode> {
  const dir = await mkdtemp(join(tmpdir(), `offpeak-cli-${name}-`));
  const staticDir = join(dir, "renderer");
  await mkdir(staticDir);
  await writeFile(join(staticDir, "index.html"), "<!doctype html>");
  const server = await startControlServer({ control, staticDir });
  const dataDir = join(dir, "data");
  const paths = await prepareDataDir(dataDir);
  await writeControlFile(paths.controlFile, { pid: process.pid, port: server.port, token: server.token, dashboardUrl: server.url, startedAt });
  return {
    dataDir,
    server,
    async close() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
