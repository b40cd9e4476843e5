/**
 * Two coordinator processes on one PostgreSQL, as behind a load balancer: the consumer (the
 * official `openai` client) talks to instance A only, while the nodes connect to B (and, for
 * failover, to A). Requests are served across the instances over LISTEN/NOTIFY, billed once in
 * the shared ledger, cancelled across them, and fail over when a node or a whole instance dies.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import OpenAI from "openai";
import { splitCost, type ModelPrice } from "../shared/money";
import { postgresSkipReason, startThrowawayPostgres, type ThrowawayPostgres } from "../tests/support/postgres";
import { openDatabase, toSafeInteger, type Database } from "./db";
import { createApiKey } from "./api-keys";
import { consumerAccountId, Ledger, nodePendingAccountId } from "./ledger";
import { SimNode } from "./test-support/sim-node";
import { TEST_ADMIN_TOKEN, TEST_PRICE, waitUntil } from "./test-support/harness";
import { completionServedBy } from "./test-support/served-completion";
import { startClusterInstance, stopClusterInstance, type ClusterInstance } from "./test-support/cluster-process";

const TOKENS = ["Once", " upon", " a", " time"];
const LONG = Array.from({ length: 40 }, (_, i) => ` w${i}`);
const PROMPT_TOKENS = 6;
const CREDIT = 50_000_000;
const HEARTBEAT_MS = 300;
const HALF_PRICE: ModelPrice = { inputMicroUsdPerMTok: TEST_PRICE.inputMicroUsdPerMTok / 2, outputMicroUsdPerMTok: TEST_PRICE.outputMicroUsdPerMTok / 2 };

type Instance = ClusterInstance;
const startInstance = (dbUrl: string, instanceId: string) => startClusterInstance(dbUrl, instanceId, { OFFPEAK_CLUSTER_HEARTBEAT_MS: String(HEARTBEAT_MS) });
const stopInstance = stopClusterInstance;

const skip = postgresSkipReason();

describe.skipIf(skip !== null)(`two coordinator instances on one PostgreSQL${skip ? ` (skipped: ${skip})` : ""}`, () => {
  let server: ThrowawayPostgres;
  let db: Database;
  let a: Instance;
  let b: Instance;
  let key: { id: string; key: string };
  let client: OpenAI;
  const nodes: SimNode[] = [];

  const connect = async (at: Instance, opts: Omit<Parameters<typeof SimNode.connect>[0], "wsUrl">) => {
    const node = await SimNode.connect({ wsUrl: at.wsUrl, promptTokens: PROMPT_TOKENS, ...opts });
    nodes.push(node);
    return node;
  };
  /** Waits until instance A lists `model` as served (or no longer does). */
  const servedOnA = (model: string, served = true) =>
    waitUntil(async () => (await client.models.list()).data.some((m) => m.id === model) === served, 10_000, `A to see ${model} ${served ? "served" : "gone"}`);

  /** Waits until instance A's admin list of nodes has `node` (they route through the directory). */
  const listedOnA = (node: SimNode) =>
    waitUntil(
      async () => {
        const res = await fetch(`${a.url}/admin/nodes`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
        const body = (await res.json()) as { nodes: { address: string }[] };
        return body.nodes.some((n) => n.address === node.address.toLowerCase());
      },
      10_000,
      "A to list the node",
    );

  /**
   * A node on B (cheaper, so routing picks it; `slowMs` between tokens) and a fast one on A serve
   * `model`; the consumer on A streams an answer and `fault` strikes once its first text arrived.
   */
  async function streamThroughFault(model: string, tokens: string[], slowMs: number, fault: () => Promise<void>) {
    const onB = await connect(b, { models: [model], capacity: 1, tokens, tokenIntervalMs: slowMs, price: HALF_PRICE });
    const onA = await connect(a, { models: [model], capacity: 1, tokens, tokenIntervalMs: 10 });
    await listedOnA(onB);
    const stream = await client.chat.completions.create({ model, messages: [{ role: "user", content: "Go on" }], stream: true, max_tokens: 20 });
    let text = "";
    let struck = false;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? "";
      if (!struck && text.length > 0) {
        struck = true;
        await fault();
      }
    }
    return { onA, onB, text };
  }

  async function entriesOf(jobId: string): Promise<{ count: number; sum: number }> {
    const { rows } = await db.query<{ amount: unknown }>(`SELECT amount_micro_usd AS amount FROM ledger_entries WHERE job_id = $1`, [jobId]);
    return { count: rows.length, sum: rows.reduce<number>((s, r) => s + toSafeInteger(r.amount), 0) };
  }
  async function jobStatus(jobId: string): Promise<string | undefined> {
    return (await db.query<{ status: string }>(`SELECT status FROM jobs WHERE id = $1`, [jobId])).rows[0]?.status;
  }

  beforeAll(async () => {
    server = await startThrowawayPostgres();
    db = await openDatabase(server.url);
    [a, b] = await Promise.all([startInstance(server.url, "inst_a"), startInstance(server.url, "inst_b")]);
    key = await createApiKey(db, CREDIT, "cluster test", new Date());
    client = new OpenAI({ apiKey: key.key, baseURL: `${a.url}/v1`, maxRetries: 0, timeout: 30_000 });
  }, 120_000);

  afterAll(async () => {
    for (const n of nodes) await n.close();
    await stopInstance(a);
    await stopInstance(b);
    await db?.close();
    await server?.stop();
  }, 60_000);

  it("serves a completion on A from a node on B, charging the consumer and crediting the node once", async () => {
    const node = await connect(b, { models: ["sim-model"], capacity: 2, tokens: TOKENS });
    await servedOnA("sim-model");
    // The credit message A sends after settling reaches the node at B.
    const { jobId, cost } = await completionServedBy(client, node, { tokens: TOKENS, promptTokens: PROMPT_TOKENS });
    expect(node.messages("credit")[0]?.amountMicroUsd).toBe(splitCost(cost, 0).nodeMicroUsd);
    expect(await jobStatus(jobId)).toBe("settled");
    expect(await entriesOf(jobId)).toEqual({ count: 2, sum: 0 }); // consumer and node (no fee here)
    const ledger = new Ledger(db);
    expect((await ledger.balance(consumerAccountId(key.id))).balanceMicroUsd).toBe(CREDIT - cost);
    expect((await ledger.balance(nodePendingAccountId(node.address))).balanceMicroUsd).toBe(cost);
  });

  it("streams a chat completion on A from the node on B, in order, and settles it once", async () => {
    const node = nodes[0] as SimNode;
    const stream = await client.chat.completions.create({ model: "sim-model", messages: [{ role: "user", content: "Hi" }], stream: true });
    const pieces: string[] = [];
    for await (const chunk of stream) {
      const text = chunk.choices[0]?.delta?.content;
      if (text) pieces.push(text);
    }
    expect(pieces.join("")).toBe(TOKENS.join(""));
    await waitUntil(() => node.messages("credit").length >= 2, 5_000, "second credit message");
    const jobId = node.jobIds[1] ?? "";
    expect(await jobStatus(jobId)).toBe("settled");
    expect(await entriesOf(jobId)).toEqual({ count: 2, sum: 0 }); // consumer and node (no fee here)
    expect(node.messages("credit")).toHaveLength(2);
  });

  it("cancels the job on the node at B when the consumer on A goes away mid-stream", async () => {
    const node = await connect(b, { models: ["slow-model"], capacity: 1, tokens: LONG, tokenIntervalMs: 100 });
    await servedOnA("slow-model");
    const controller = new AbortController();
    const stream = await client.chat.completions.create({ model: "slow-model", messages: [{ role: "user", content: "Go on" }], stream: true, max_tokens: 100 }, { signal: controller.signal });
    let received = 0;
    // The client ends the iteration (or throws, depending on timing) once aborted.
    await (async () => {
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta?.content) received++;
        if (received === 3) controller.abort();
      }
    })().catch(() => {});
    expect(received).toBe(3);
    const abortedAt = performance.now();
    const jobId = node.jobIds[0] ?? "";
    await node.waitFor((m) => m.type === "cancel" && m.jobId === jobId, 5_000);
    const cancelMs = performance.now() - abortedAt;
    expect(cancelMs).toBeLessThan(5_000);
    // The node stopped early and billed only what it produced: the job closes in the shared ledger.
    await waitUntil(async () => (await jobStatus(jobId)) !== "running", 10_000, "the cancelled job to close");
    const done = node.sentDone.get(jobId);
    expect(done?.finishReason).toBe("cancelled");
    expect(done?.receipt.completionTokens).toBeLessThan(LONG.length);
    expect(await entriesOf(jobId)).toMatchObject({ sum: 0 });
  });

  it("fails over to a node on A when the node on B dies mid-stream, and the stream carries on", async () => {
    const tokens = ["One", " two", " three", " four", " five", " six", " seven", " eight"];
    // Cheaper, so routing prefers it; it drops its connection after three tokens.
    const dying = await connect(b, { models: ["fo-model"], capacity: 1, tokens, tokenIntervalMs: 60, dropAfterTokens: 3, price: HALF_PRICE });
    const rescuer = await connect(a, { models: ["fo-model"], capacity: 1, tokens, tokenIntervalMs: 10 });
    // Both nodes must be routable on A before the request (B's arrives through the directory).
    await listedOnA(dying);
    const stream = await client.chat.completions.create({ model: "fo-model", messages: [{ role: "user", content: "Count" }], stream: true, max_tokens: 20 });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
    expect(text).toBe(tokens.join(""));
    expect(dying.jobIds).toHaveLength(1);
    expect(rescuer.jobIds).toHaveLength(1);
    expect(rescuer.jobs[0]?.input.prefill).toBe(tokens.slice(0, 3).join(""));
  });

  it("answers the normal clean error when B's only node for the model is gone", async () => {
    const node = await connect(b, { models: ["gone-model"], capacity: 1, tokens: TOKENS });
    await servedOnA("gone-model");
    await node.close();
    // The model stays known (the shared catalog), so A answers "no capacity", as a single instance would.
    await servedOnA("gone-model", false);
    const err = await client.chat.completions.create({ model: "gone-model", messages: [{ role: "user", content: "Hi" }] }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe("no_capacity");
  });

  it("fails a job across instances over at once when A's bus connection drops mid-answer", async () => {
    const tokens = ["Uno", " dos", " tres", " cuatro", " cinco", " seis", " siete", " ocho"];
    const { onA, onB, text } = await streamThroughFault("bus-model", tokens, 300, async () => {
      const { rows } = await db.query<{ n: string }>(`SELECT COUNT(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE application_name = 'offpeak-bus-inst_a'`);
      expect(Number(rows[0]?.n)).toBe(1);
    });
    // The answer is whole: B's node started it, A's node continued it once A's bus was back,
    // long before B's node would have finished (8 tokens, 300 ms apart) or a stall timeout.
    expect(text).toBe(tokens.join(""));
    expect(onB.jobIds).toHaveLength(1);
    expect(onA.jobIds).toHaveLength(1);
    const continued = onA.jobs[0]?.input.prefill ?? "";
    expect(tokens.join("").startsWith(continued) && continued.length > 0).toBe(true);
    // B was told to stop its node's part.
    await onB.waitFor((m) => m.type === "cancel" && m.jobId === onB.jobIds[0], 5_000);
  });

  it("treats the nodes of an instance that died as gone: its job in flight fails over to A", async () => {
    const tokens = ["Alpha", " beta", " gamma", " delta", " epsilon", " zeta"];
    const { onA, onB, text } = await streamThroughFault("crash-model", tokens, 400, () => stopInstance(b, "SIGKILL"));
    expect(text).toBe(tokens.join(""));
    expect(onB.jobIds).toHaveLength(1);
    expect(onA.jobIds).toHaveLength(1);
    // B's other nodes are gone from A's view too.
    await servedOnA("sim-model", false);
  });
});
