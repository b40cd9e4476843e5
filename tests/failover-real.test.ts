/**
 * Failover mid-stream on the real path: two nodes (worker processes, real node-llama-cpp on
 * stories260K from ../shared/models) behind one coordinator. The worker of the node streaming an
 * answer is killed mid-stream; the other node continues the answer, the consumer's stream
 * carries on, and at temperature 0 the text equals what one node produces alone. Each node is
 * credited for its own part, from its own signed receipt.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCoordinator } from "../coordinator/coordinator";
import { openDatabase, type Database } from "../coordinator/db";
import { FileKeyStore } from "../electron/agent/key-store";
import { startNodeHost, type NodeHost } from "../electron/agent/node-host";
import { jobCostMicroUsd, DEFAULT_PRICE } from "../shared/money";
import { silentLogger } from "../shared/logger";

const STORIES = resolve(process.cwd(), "../shared/models/stories260K.gguf");
const present = existsSync(STORIES);
if (!present) console.warn(`real failover test not run: ${STORIES} is absent (it lives in ../shared beside the checkout)`);

/** A prompt and length whose greedy answer re-reads as the same tokens at every cut point. */
const REQUEST = { prompt: "Once upon a time", max_tokens: 300, temperature: 0 } as const;

describe.skipIf(!present)("failover mid-stream with real nodes", () => {
  let dir: string;
  let db: Database;
  let coordinator: Awaited<ReturnType<typeof startCoordinator>>;
  let nodes: NodeHost[] = [];
  let client: OpenAI;
  let model: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "offpeak-failover-"));
    db = await openDatabase(undefined);
    coordinator = await startCoordinator({ db, adminToken: "test-admin-token-failover", logger: silentLogger, verification: false });
    nodes = await Promise.all(
      ["a", "b"].map((name) =>
        startNodeHost({
          coordinatorUrl: coordinator.wsUrl,
          dataDir: join(dir, name),
          modelPath: STORIES,
          contextSize: 1024,
          threads: 1,
          keyStore: new FileKeyStore(join(dir, `${name}-key`)),
          logger: silentLogger,
        }),
      ),
    );
    for (const n of nodes) {
      for (let i = 0; i < 600; i++) {
        const s = await n.agent.getState();
        if (s.ok && s.value.activity === "ready" && s.value.coordinator.connected) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const state = await nodes[0]?.agent.getState();
    model = state?.ok ? (state.value.model?.id ?? "") : "";
    const { key } = await coordinator.createApiKey(10_000_000, "failover");
    client = new OpenAI({ apiKey: key, baseURL: `${coordinator.url}/v1`, maxRetries: 0, timeout: 60_000 });
  });
  afterAll(async () => {
    for (const n of nodes) await n.stop();
    await coordinator?.close();
    await db?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** The node running a job now. */
  async function busyNode(): Promise<NodeHost | undefined> {
    for (const n of nodes) {
      const s = await n.agent.getState();
      if (s.ok && s.value.currentJob !== null) return n;
    }
    return undefined;
  }

  it("continues the answer on the other node when the first one's worker dies, with the same greedy text", async () => {
    const alone = await client.completions.create({ model, ...REQUEST });
    const expected = alone.choices[0]?.text ?? "";
    expect(alone.usage?.completion_tokens).toBe(REQUEST.max_tokens);

    const stream = await client.completions.create({ model, ...REQUEST, stream: true });
    let text = "";
    let killed: NodeHost | undefined;
    let textAtKill = 0;
    let id = "";
    for await (const chunk of stream) {
      id = chunk.id;
      text += chunk.choices[0]?.text ?? "";
      if (!killed && text.length > 0) {
        killed = await busyNode();
        const pid = killed?.workerPid();
        expect(pid).toBeTypeOf("number");
        process.kill(pid as number, "SIGKILL");
        textAtKill = text.length;
      }
    }
    expect(text).toBe(expected);

    // The answer really passed through two nodes, the second continuing after the first's text.
    const jobId = `job_${id.slice("cmpl-".length)}`;
    const receipts = await db.query<{ job_id: string; node_address: string; prompt_tokens: number; completion_tokens: number }>(
      `SELECT job_id, node_address, prompt_tokens, completion_tokens FROM receipts WHERE job_id = $1 OR job_id LIKE $2 ORDER BY job_id`,
      [jobId, `${jobId}.p%`],
    );
    expect(receipts.rows.map((r) => r.job_id)).toEqual([jobId, `${jobId}.p1`]);
    const [first, second] = receipts.rows;
    expect(first?.node_address).not.toBe(second?.node_address);
    const firstTokens = Number(first?.completion_tokens);
    const secondTokens = Number(second?.completion_tokens);
    expect(firstTokens).toBeGreaterThan(0);
    expect(secondTokens).toBeGreaterThan(0);
    expect(firstTokens + secondTokens).toBe(REQUEST.max_tokens);
    expect(textAtKill).toBeLessThan(expected.length);

    // Each node was credited its own part; the consumer paid once for what it received.
    const job = await db.query<{ status: string; cost_micro_usd: unknown }>(`SELECT status, cost_micro_usd FROM jobs WHERE id = $1`, [jobId]);
    const costs = [jobCostMicroUsd(DEFAULT_PRICE, 0, firstTokens), jobCostMicroUsd(DEFAULT_PRICE, 0, secondTokens)];
    expect(job.rows[0]?.status).toBe("settled");
    expect(Number(job.rows[0]?.cost_micro_usd)).toBe(costs[0]! + costs[1]!);
    const credits = await db.query<{ job_id: string; amount_micro_usd: unknown }>(
      `SELECT job_id, amount_micro_usd FROM node_credits WHERE job_id = $1 OR job_id = $2 ORDER BY job_id`,
      [jobId, `${jobId}.p1`],
    );
    expect(credits.rows.map((r) => Number(r.amount_micro_usd))).toEqual(costs);
  });
});
