/**
 * Playwright's `test` with a fake node for the browser specs: the renderer built once per run
 * (see renderer-build.ts), and for each test an in-memory agent (FakeControlApi) behind the real
 * control server, closed when the test ends.
 */
import { test as base } from "@playwright/test";
import type { ControlServer } from "../../electron/agent/control-server";
import { FakeControlApi } from "../../tests/fake-electron/fake-control-api";
import { startFakeNode } from "./fake-node";
import { sharedRendererBuild } from "./renderer-build";

export { expect } from "@playwright/test";

/** A fake agent and the control server in front of it. */
export interface FakeNode {
  readonly control: FakeControlApi;
  readonly server: ControlServer;
}

interface NodeFixtures {
  /** The test's in-memory agent, with the sample state. */
  control: FakeControlApi;
  /** The control server in front of {@link NodeFixtures.control}; its `url` opens the dashboard. */
  server: ControlServer;
  /** Starts a fake node in front of `control` (a fresh sample agent by default); closed when the test ends. */
  startNode: (control?: FakeControlApi) => Promise<FakeNode>;
}

interface BuildFixtures {
  /** The folder of the built renderer. */
  rendererDir: string;
}

export const test = base.extend<NodeFixtures, BuildFixtures>({
  rendererDir: [
    async ({}, use) => {
      const build = await sharedRendererBuild();
      await use(build.dir);
      await build.release();
    },
    { scope: "worker" },
  ],
  startNode: async ({ rendererDir }, use) => {
    const servers: ControlServer[] = [];
    await use(async (control = new FakeControlApi()) => {
      const node = await startFakeNode(rendererDir, control);
      servers.push(node.server);
      return node;
    });
    await Promise.all(servers.map((server) => server.close()));
  },
  control: async ({}, use) => {
    await use(new FakeControlApi());
  },
  server: async ({ control, startNode }, use) => {
    await use((await startNode(control)).server);
  },
});
