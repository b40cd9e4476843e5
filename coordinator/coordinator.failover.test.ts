/**
 * Failover mid-answer with simulated nodes: when the node streaming an answer breaks off, the
 * next node continues it from the prompt and the text already sent, the consumer's stream
 * carries on, the consumer pays once for what it received and each node is credited for its
 * own part from its own receipt.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import OpenAI from "openai";
import { jobCostMicroUsd } from "../shared/money";
import { SimNode, type SimNodeOptions } from "./test-support/sim-node";
import { startTestCoordinator, TEST_PRICE, waitUntil, type TestCoordinator } from "./test-support/harness";

const TOKENS = ["Once", " upon", " a", " time", " there", " was", " a", " fox", "."];
const STORY = TOKENS.join("");
const PROMPT_TOKENS = 3;

let t: TestCoordinator;
let key: { id: string; key: string };
let client: OpenAI;
const nodes: SimNode[] = [];

beforeAll(async () => {
  t = await startTestCoordinator({ dispatchTimeoutMs: 500, heartbeatMs: 1_000 });
  key = await t.coordinator.createApiKey(50_000_000, "failover");
  client = new OpenAI({ apiKey: key.key, baseURL: `${t.coordinator.url}/v1`, maxRetries: 0 });
});
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.close()));
});
afterAll(async () => {
  await t?.close();
});

/** Connects nodes in order; the last one connected is the most recently idle, so it is tried first. */
async function node(opts: Omit<SimNodeOptions, "wsUrl">): Promise<SimNode> {
  const n = await SimNode.connect({ wsUrl: t.coordinator.wsUrl, tokens: TOKENS, promptTokens: PROMPT_TOKENS, tokenIntervalMs: 10, ...opts });
  nodes.push(n);
  return n;
}

async function streamText(model: string, extra: Partial<OpenAI.CompletionCreateParamsStreaming> = {}): Promise<{ text: string; usage: OpenAI.CompletionUsage | undefined; id: string }> {
  const stream = await client.completions.create({ model, prompt: "Tell me", max_tokens: 20, stream: true, stream_options: { include_usage: true }, ...extra });
  let text = "";
  let usage: OpenAI.CompletionUsage | undefined;
  let id = "";
  for await (const chunk of stream) {
    id = chunk.id;
    text += chunk.choices[0]?.text ?? "";
    if (chunk.usage) usage = chunk.usage;
  }
  return { text, usage, id };
}

const jobIdOf = (responseId: string) => `job_${responseId.slice("cmpl-".length)}`;

async function jobRows(jobId: string) {
  const { rows } = await t.db.query<{ id: string; status: string; part: number; node_address: string; cost_micro_usd: string | number | null }>(
    `SELECT id, status, part, node_address, cost_micro_usd FROM jobs WHERE id = $1 OR parent_job_id = $1 ORDER BY part`,
    [jobId],
  );
  return rows.map((r) => ({ ...r, cost_micro_usd: Number(r.cost_micro_usd) }));
}

describe("an answer that breaks off mid-stream", () => {
  it("continues on another node: the stream carries on and each node is paid its part", async () => {
    const b = await node({ models: ["f-crash"] });
    const a = await node({ models: ["f-crash"], failAfterTokens: { count: 3, code: "worker_crashed" } });
    const before = await t.consumerBalance(key.id);

    const { text, usage, id } = await streamText("f-crash");
    expect(text).toBe(STORY);
    expect(usage?.completion_tokens).toBe(TOKENS.length);
    // The prompt is billed once, by the first part; this one broke off and billed none.
    expect(usage?.prompt_tokens).toBe(0);

    const jobId = jobIdOf(id);
    expect(a.jobIds).toEqual([jobId]);
    expect(b.jobIds).toEqual([`${jobId}.p1`]);
    const continuation = b.jobs[0];
    expect(continuation?.input).toEqual({ kind: "completion", prompt: "Tell me", prefill: "Once upon a" });
    expect(continuation?.sampling.maxTokens).toBe(20 - 3);

    const costA = jobCostMicroUsd(TEST_PRICE, 0, 3);
    const costB = jobCostMicroUsd(TEST_PRICE, 0, TOKENS.length - 3);
    const creditA = await a.waitFor((m) => m.type === "credit");
    const creditB = await b.waitFor((m) => m.type === "credit");
    expect(creditA.type === "credit" && [creditA.jobId, creditA.amountMicroUsd]).toEqual([jobId, costA]);
    expect(creditB.type === "credit" && [creditB.jobId, creditB.amountMicroUsd]).toEqual([`${jobId}.p1`, costB]);
    expect(await t.nodeBalance(a.address)).toBe(costA);
    expect(await t.nodeBalance(b.address)).toBe(costB);
    const after = await t.consumerBalance(key.id);
    expect(before.balanceMicroUsd - after.balanceMicroUsd).toBe(costA + costB);
    expect(after.reservedMicroUsd).toBe(0);
    expect(await jobRows(jobId)).toEqual([
      { id: jobId, status: "settled", part: 0, node_address: b.address.toLowerCase(), cost_micro_usd: costA + costB },
      { id: `${jobId}.p1`, status: "settled", part: 1, node_address: b.address.toLowerCase(), cost_micro_usd: costB },
    ]);
    const receipts = await t.db.query<{ job_id: string; node_address: string }>(`SELECT job_id, node_address FROM receipts WHERE job_id LIKE $1 ORDER BY job_id`, [`${jobId}%`]);
    expect(receipts.rows).toEqual([
      { job_id: jobId, node_address: a.address.toLowerCase() },
      { job_id: `${jobId}.p1`, node_address: b.address.toLowerCase() },
    ]);
  });

  it("continues a chat answer with the text so far in the assistant's turn", async () => {
    const b = await node({ models: ["f-chat"] });
    await node({ models: ["f-chat"], failAfterTokens: { count: 2, code: "node_yield" } });
    const res = await client.chat.completions.create({ model: "f-chat", messages: [{ role: "user", content: "A story?" }], max_tokens: 30 });
    expect(res.choices[0]?.message.content).toBe(STORY);
    expect(res.choices[0]?.finish_reason).toBe("stop");
    expect(b.jobs[0]?.input).toEqual({ kind: "chat", messages: [{ role: "user", content: "A story?" }], prefill: "Once upon" });
  });

  it("does not bill the part of a node that vanished without a receipt", async () => {
    const b = await node({ models: ["f-drop"] });
    const a = await node({ models: ["f-drop"], dropAfterTokens: 4 });
    const before = await t.consumerBalance(key.id);
    const { text } = await streamText("f-drop");
    expect(text).toBe(STORY);
    await b.waitFor((m) => m.type === "credit");
    const costB = jobCostMicroUsd(TEST_PRICE, 0, TOKENS.length - 4);
    expect(before.balanceMicroUsd - (await t.consumerBalance(key.id)).balanceMicroUsd).toBe(costB);
    expect(await t.nodeBalance(a.address)).toBe(0);
    expect(await t.nodeBalance(b.address)).toBe(costB);
  });

  it("moves on from a node that goes quiet mid-answer, cancelling it", async () => {
    const b = await node({ models: ["f-stall"] });
    const a = await node({ models: ["f-stall"], stallAfterTokens: 5 });
    const { text } = await streamText("f-stall");
    expect(text).toBe(STORY);
    expect(a.messages("cancel").map((c) => c.jobId)).toEqual(a.jobIds);
    expect(b.jobs[0]?.input.prefill).toBe(TOKENS.slice(0, 5).join(""));
  });

  it("passes through up to three nodes, and ends with a clean error, charging nothing, when none is left", async () => {
    const c = await node({ models: ["f-chain"] });
    const b = await node({ models: ["f-chain"], dropAfterTokens: 2 });
    const a = await node({ models: ["f-chain"], dropAfterTokens: 2 });
    const { text } = await streamText("f-chain");
    expect(text).toBe(STORY);
    expect([a.jobIds.length, b.jobIds.length, c.jobIds.length]).toEqual([1, 1, 1]);
    expect(c.jobs[0]?.input.prefill).toBe(TOKENS.slice(0, 4).join(""));

    await Promise.all(nodes.splice(0).map((n) => n.close()));
    await node({ models: ["f-alone"], dropAfterTokens: 2 });
    const before = await t.consumerBalance(key.id);
    await expect(streamText("f-alone")).rejects.toMatchObject({ code: "node_failed" });
    expect(await t.consumerBalance(key.id)).toEqual(before);
  });

  it("stops the continuing node within a second when the consumer goes away, billing what it received", async () => {
    const long = Array.from({ length: 60 }, (_, i) => ` w${i}`);
    const b = await node({ models: ["f-leave"], tokens: long, tokenIntervalMs: 40 });
    await node({ models: ["f-leave"], tokens: long, tokenIntervalMs: 5, failAfterTokens: { count: 2, code: "worker_crashed" } });
    const stream = await client.completions.create({ model: "f-leave", prompt: "go", max_tokens: 100, stream: true });
    let seen = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.text) seen++;
      if (seen === 4) break; // two from the first node, two from the one continuing
    }
    const leftAt = Date.now();
    const cancel = await b.waitFor((m) => m.type === "cancel", 1_000);
    expect(Date.now() - leftAt).toBeLessThan(1_000);
    expect(cancel.type === "cancel" && cancel.jobId).toBe(b.jobIds[0]);
    const done = await waitUntil(() => b.sentDone.size === 1, 2_000, "the cancelled part's receipt").then(() => b.sentDone.get(b.jobIds[0] ?? ""));
    expect(done?.finishReason).toBe("cancelled");
    expect(done?.receipt.completionTokens).toBeLessThan(long.length - 2);
    await b.waitFor((m) => m.type === "credit", 2_000);
    expect((await t.consumerBalance(key.id)).reservedMicroUsd).toBe(0);
  });
});
