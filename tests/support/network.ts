/**
 * Test support: a coordinator (in-memory PGlite) and one real node (worker process, real
 * node-llama-cpp) on loopback, with the official openai client pointed at it.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { startCoordinator } from "../../coordinator/coordinator";
import { openDatabase } from "../../coordinator/db";
import { generateDemoModel } from "../../electron/agent/models/demo-model";
import { startNodeHost, type NodeHost } from "../../electron/agent/node-host";
import type { NodeState } from "../../shared/control-api";
import { silentLogger, type Logger } from "../../shared/logger";

export interface TestNetwork {
  readonly dir: string;
  readonly coordinator: Awaited<ReturnType<typeof startCoordinator>>;
  readonly node: NodeHost;
  readonly client: OpenAI;
  readonly apiKey: string;
  readonly modelId: string;
  state(): Promise<NodeState>;
  waitForState(predicate: (s: NodeState) => boolean, timeoutMs?: number): Promise<NodeState>;
  close(): Promise<void>;
}

/** Writes the project's tiny random-weight model into `dir` and returns its path. */
export async function makeTinyModel(dir: string, seed = 7): Promise<string> {
  const path = join(dir, "tiny-test.gguf");
  await generateDemoModel({ path, shape: "tiny", type: "q8_0", seed });
  return path;
}

/** Starts the network; `modelPath` defaults to a freshly generated tiny model. */
export async function startTestNetwork(
  options: { modelPath?: string; creditMicroUsd?: number; contextSize?: number; logger?: Logger } = {},
): Promise<TestNetwork> {
  const logger = options.logger ?? silentLogger;
  const dir = await mkdtemp(join(tmpdir(), "offpeak-net-"));
  const modelPath = options.modelPath ?? (await makeTinyModel(dir));
  const db = await openDatabase(undefined);
  const coordinator = await startCoordinator({ db, adminToken: "test-admin-token-0123456789", logger });
  const node = await startNodeHost({
    coordinatorUrl: coordinator.wsUrl,
    dataDir: join(dir, "node"),
    modelPath,
    contextSize: options.contextSize ?? 256,
    threads: 1,
    logger,
  });
  const { key } = await coordinator.createApiKey(options.creditMicroUsd ?? 10_000_000, "test");
  const client = new OpenAI({ apiKey: key, baseURL: `${coordinator.url}/v1`, maxRetries: 0, timeout: 60_000 });
  const state = async () => {
    const s = await node.agent.getState();
    if (!s.ok) throw new Error(s.error);
    return s.value;
  };
  const waitForState = async (predicate: (s: NodeState) => boolean, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    let last = await state();
    while (!predicate(last)) {
      if (Date.now() > deadline) throw new Error(`node state never matched; last: ${last.activity} — ${last.reason}`);
      await new Promise((r) => setTimeout(r, 25));
      last = await state();
    }
    return last;
  };
  const ready = await waitForState((s) => s.activity === "ready");
  return {
    dir,
    coordinator,
    node,
    client,
    apiKey: key,
    modelId: ready.model?.id ?? "",
    state,
    waitForState,
    async close() {
      await node.stop();
      await coordinator.close();
      await db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
