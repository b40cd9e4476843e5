/**
 * Playwright's `test` with a real headless host for the live browser specs: each test gets a
 * `liveHost` that makes its throwaway data folder and starts `offpeak up` on it (see
 * live-host.ts); when the test ends the host is stopped, then the servers it talked to are closed,
 * then the folder is removed.
 */
import { test as base } from "@playwright/test";
import { makeLiveDataDir, startLiveHost, type LiveHost } from "./live-host";

export { expect } from "@playwright/test";

/** Something the host talks to (a devnet, a file server), closed once the host has stopped. */
interface Closable {
  close(): Promise<void>;
}

/** One test's data folder and the host running on it. */
export interface LiveHostFixture {
  /** Makes the test's data folder and returns its path; `onboarded` marks the first-run setup as finished. */
  makeDataDir(prefix: string, options?: { onboarded?: boolean }): Promise<string>;
  /** Starts `offpeak up` on the data folder with `env` added to its environment; one host at a time. */
  start(env?: NodeJS.ProcessEnv): Promise<LiveHost>;
  /** Stops the running host; the data folder stays, so a second `start` is a restart. */
  stop(): Promise<void>;
  /** Closes `server` when the test ends, after the host has stopped (so the host never sees it go first). */
  closeAfterHost<T extends Closable>(server: T): T;
}

interface LiveHostFixtures {
  /** The test's live host; stopped, and its data folder removed, when the test ends. */
  liveHost: LiveHostFixture;
}

export const test = base.extend<LiveHostFixtures>({
  liveHost: async ({}, use) => {
    let dataDir: Awaited<ReturnType<typeof makeLiveDataDir>> | undefined;
    let host: LiveHost | undefined;
    const servers: Closable[] = [];
    const stop = async () => {
      await host?.stop();
      host = undefined;
    };
    await use({
      async makeDataDir(prefix, options) {
        if (dataDir) throw new Error("This test already has a data folder.");
        dataDir = await makeLiveDataDir(prefix, options);
        return dataDir.dir;
      },
      async start(env) {
        if (!dataDir) throw new Error("Make the data folder (liveHost.makeDataDir) before starting the host.");
        if (host) throw new Error("A host is already running on this data folder: stop it first.");
        host = await startLiveHost(dataDir.dir, env);
        return host;
      },
      stop,
      closeAfterHost(server) {
        servers.push(server);
        return server;
      },
    });
    try {
      await stop();
      for (const server of servers) await server.close();
    } finally {
      await dataDir?.remove();
    }
  },
});
