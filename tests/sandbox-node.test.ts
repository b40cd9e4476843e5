/**
 * The sandbox decides whether a node serves: a real node on this machine runs its worker inside
 * bubblewrap; a node offered no sandbox refuses to serve until the owner allows it, and then
 * warns wherever its state shows.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCoordinator } from "../coordinator/coordinator";
import { openDatabase } from "../coordinator/db";
import { UNSANDBOXED_WARNING } from "../electron/agent/node-agent";
import { startNodeHost, type NodeHost } from "../electron/agent/node-host";
import { MemorySettingsStore } from "../electron/agent/settings-store";
import { silentLogger } from "../shared/logger";
import { makeTinyModel, startTestNetwork } from "./support/network";

describe.runIf(process.platform === "linux")("a node on this machine", () => {
  it("runs its worker inside bubblewrap and says so", async () => {
    const net = await startTestNetwork();
    try {
      const state = await net.state();
      expect(state.sandbox).toMatchObject({ kind: "bubblewrap", active: true });
      expect(state.sandbox.detail).toMatch(/no network/);
      expect(state.warnings).toEqual([]);
      const result = await net.client.completions.create({ model: net.modelId, prompt: "Hi", max_tokens: 4 });
      expect(result.usage?.completion_tokens).toBeGreaterThan(0);
    } finally {
      await net.close();
    }
  });
});

describe("a node offered no sandbox", () => {
  let dir: string;
  let close: () => Promise<void>;
  let node: NodeHost;
  let client: OpenAI;
  const settings = new MemorySettingsStore();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "offpeak-nosandbox-"));
    const db = await openDatabase(undefined);
    const coordinator = await startCoordinator({ db, adminToken: "test-admin-token-0123456789", logger: silentLogger });
    node = await startNodeHost({
      coordinatorUrl: coordinator.wsUrl,
      dataDir: join(dir, "node"),
      modelPath: await makeTinyModel(dir),
      contextSize: 256,
      threads: 1,
      logger: silentLogger,
      settings,
      sandbox: { status: { kind: "none", active: false, detail: "bubblewrap is not installed" }, wrap: null, command: null },
    });
    const { key } = await coordinator.createApiKey(1_000_000, "t");
    client = new OpenAI({ apiKey: key, baseURL: `${coordinator.url}/v1`, maxRetries: 0 });
    close = async () => {
      await node.stop();
      await coordinator.close();
      await db.close();
      await rm(dir, { recursive: true, force: true });
    };
  });
  afterAll(async () => {
    await close?.();
  });

  it("refuses to serve, says why, and starts no worker", async () => {
    const state = await node.agent.getState();
    expect(state.ok && state.value.activity).toBe("error");
    expect(state.ok && state.value.reason).toMatch(/cannot be sandboxed here \(bubblewrap is not installed\)/);
    expect(node.workerPid()).toBeUndefined();
    await expect(client.completions.create({ model: "tiny-test", prompt: "x", max_tokens: 2 })).rejects.toMatchObject({ status: 404 });
  });

  it("serves once the owner allows running without a sandbox, with the warning in its state", async () => {
    const updated = await node.agent.updateSettings({ allowUnsandboxed: true });
    expect(updated.ok).toBe(true);
    let served = false;
    for (let i = 0; i < 150 && !served; i++) {
      served = await client.completions
        .create({ model: "tiny-test", prompt: "x", max_tokens: 2 })
        .then(() => true)
        .catch(() => false);
      if (!served) await new Promise((r) => setTimeout(r, 100));
    }
    expect(served).toBe(true);
    const state = await node.agent.getState();
    expect(state.ok && state.value.warnings).toEqual([UNSANDBOXED_WARNING]);
    expect(state.ok && state.value.sandbox.active).toBe(false);
  });
});
