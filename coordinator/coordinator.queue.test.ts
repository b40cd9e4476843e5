/**
 * Waiting for capacity: when every node serving a model is busy, requests wait in line (bounded
 * in length and time) instead of failing, through the official `openai` client.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import OpenAI from "openai";
import type { Logger } from "../shared/logger";
import { SimNode, type SimNodeOptions } from "./test-support/sim-node";
import { startTestCoordinator, waitUntil, type TestCoordinator } from "./test-support/harness";

const QUEUED = "every node serving the model is busy; job waits";
const LEFT = "job left the wait for capacity";
const SLOW: Omit<SimNodeOptions, "wsUrl"> = { capacity: 1, tokens: Array.from({ length: 8 }, (_, i) => ` t${i}`), tokenIntervalMs: 40 };
const SLOW_TEXT = (SLOW.tokens ?? []).join("");

/** A logger that keeps what it is told, so tests can see a request join or leave the line. */
function recordingLogger() {
  const lines: { message: string; fields: Record<string, unknown> }[] = [];
  const keep = (message: string, fields: Record<string, unknown> = {}) => void lines.push({ message, fields });
  const logger: Logger = { debug: keep, info: keep, warn: keep, error: keep };
  return {
    logger,
    count: (message: string, model: string) => lines.filter((l) => l.message === message && l.fields.model === model).length,
    find: (message: string, match: Record<string, unknown>) =>
      lines.find((l) => l.message === message && Object.entries(match).every(([k, v]) => l.fields[k] === v)),
  };
}

interface Setup {
  t: TestCoordinator;
  log: ReturnType<typeof recordingLogger>;
  nodes: SimNode[];
}

async function setup(opts: { maxQueueLength: number; maxQueueWaitMs: number }): Promise<Setup> {
  const log = recordingLogger();
  const t = await startTestCoordinator({ ...opts, logger: log.logger });
  return { t, log, nodes: [] };
}

async function node(s: Setup, opts: Omit<SimNodeOptions, "wsUrl">): Promise<SimNode> {
  const n = await SimNode.connect({ wsUrl: s.t.coordinator.wsUrl, ...opts });
  s.nodes.push(n);
  return n;
}

async function consumer(s: Setup, name: string) {
  const key = await s.t.coordinator.createApiKey(10_000_000, name);
  return { key, client: new OpenAI({ apiKey: key.key, baseURL: `${s.t.coordinator.url}/v1`, maxRetries: 0 }) };
}

const jobIdOf = (responseId: string) => `job_${responseId.slice("cmpl-".length)}`;

let s: Setup;
let short: Setup;

beforeAll(async () => {
  [s, short] = await Promise.all([setup({ maxQueueLength: 2, maxQueueWaitMs: 10_000 }), setup({ maxQueueLength: 4, maxQueueWaitMs: 300 })]);
});

afterEach(async () => {
  await Promise.all([...s.nodes.splice(0), ...short.nodes.splice(0)].map((n) => n.close()));
});

afterAll(async () => {
  await Promise.all([s?.t.close(), short?.t.close()]);
});

describe("waiting for a busy node", () => {
  it("serves concurrent requests on a node of capacity 1 one after another, first come first served", async () => {
    const n = await node(s, { ...SLOW, models: ["q-fifo"] });
    const { key, client } = await consumer(s, "fifo");
    // When each job reaches the node, the one before it must already be done (capacity 1).
    const overlapped: boolean[] = [];
    const watch = (k: number) => n.waitFor(() => n.messages("job").length > k, 8_000).then(() => overlapped.push(n.sentDone.size < k));
    const watchers = [watch(1), watch(2)];
    const finished: string[] = [];
    const ask = (name: string) => client.completions.create({ model: "q-fifo", prompt: name }).then((r) => (finished.push(name), r));

    const a = ask("first");
    await waitUntil(() => n.jobIds.length === 1, 3_000, "first job on the node");
    const b = ask("second");
    await waitUntil(() => s.log.count(QUEUED, "q-fifo") === 1, 3_000, "second request waiting");
    const c = ask("third");
    await waitUntil(() => s.log.count(QUEUED, "q-fifo") === 2, 3_000, "third request waiting");
    expect(n.jobIds).toHaveLength(1);

    const answers = await Promise.all([a, b, c]);
    await Promise.all(watchers);
    expect(answers.map((r) => r.choices[0]?.text)).toEqual([SLOW_TEXT, SLOW_TEXT, SLOW_TEXT]);
    expect(n.jobIds).toEqual(answers.map((r) => jobIdOf(r.id)));
    expect(finished).toEqual(["first", "second", "third"]);
    expect(overlapped).toEqual([false, false]);
    expect((await s.t.consumerBalance(key.id)).reservedMicroUsd).toBe(0);
  });

  it("answers 429 with Retry-After when the line is full, and charges nothing for it", async () => {
    const n = await node(s, { ...SLOW, models: ["q-full"] });
    const { client } = await consumer(s, "full");
    const refused = await consumer(s, "refused");
    const before = await s.t.consumerBalance(refused.key.id);
    const running = client.completions.create({ model: "q-full", prompt: "a" });
    await waitUntil(() => n.jobIds.length === 1, 3_000, "first job on the node");
    const waiting = [client.completions.create({ model: "q-full", prompt: "b" }), client.completions.create({ model: "q-full", prompt: "c" })];
    await waitUntil(() => s.log.count(QUEUED, "q-full") === 2, 3_000, "two requests waiting");

    const res = await fetch(`${s.t.coordinator.url}/v1/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${refused.key.key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "q-full", prompt: "d" }),
    });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await res.json()).toMatchObject({ error: { type: "requests", code: "rate_limit_exceeded", param: null } });
    await expect(refused.client.completions.create({ model: "q-full", prompt: "e" })).rejects.toMatchObject({
      status: 429,
      code: "rate_limit_exceeded",
      type: "requests",
    });
    expect(await s.t.consumerBalance(refused.key.id)).toEqual(before);

    const answers = await Promise.all([running, ...waiting]);
    expect(answers.map((r) => r.choices[0]?.text)).toEqual([SLOW_TEXT, SLOW_TEXT, SLOW_TEXT]);
    expect(n.jobIds).toHaveLength(3);
  });

  it("forgets a waiting consumer that goes away: the node never gets its job and nothing stays reserved", async () => {
    const n = await node(s, { ...SLOW, models: ["q-abort"] });
    const { client } = await consumer(s, "abort-first");
    const leaving = await consumer(s, "leaving");
    const before = await s.t.consumerBalance(leaving.key.id);
    const running = client.completions.create({ model: "q-abort", prompt: "a" });
    await waitUntil(() => n.jobIds.length === 1, 3_000, "first job on the node");

    const controller = new AbortController();
    const left = leaving.client.completions.create({ model: "q-abort", prompt: "b" }, { signal: controller.signal }).catch((err: unknown) => err);
    await waitUntil(() => s.log.count(QUEUED, "q-abort") === 1, 3_000, "second request waiting");
    const accepted = s.log.find("job accepted", { keyId: leaving.key.id });
    expect(accepted).toBeDefined();
    const jobId = accepted?.fields.jobId;
    controller.abort();
    expect(await left).toBeInstanceOf(OpenAI.APIUserAbortError);
    await waitUntil(() => s.log.find(LEFT, { jobId, reason: "aborted" }) !== undefined, 3_000, "the request leaving the line");
    expect(n.jobIds).toHaveLength(1);

    expect((await running).choices[0]?.text).toBe(SLOW_TEXT);
    // The slot the first job freed goes to the next request, not to the one that left.
    const next = await client.completions.create({ model: "q-abort", prompt: "c" });
    expect(n.jobIds).toEqual([n.jobIds[0], jobIdOf(next.id)]);
    expect(n.jobIds).not.toContain(jobId);
    expect(await s.t.consumerBalance(leaving.key.id)).toEqual(before);
    const { rows } = await s.t.db.query<{ status: string }>(`SELECT status FROM jobs WHERE id = $1`, [jobId]);
    expect(rows[0]?.status).toBe("abandoned");
  });

  it("lets a retry wait for a busy node when its first node fails before the first token", async () => {
    const steady = await node(s, { ...SLOW, models: ["q-retry"] });
    const { key, client } = await consumer(s, "retry");
    const running = client.completions.create({ model: "q-retry", prompt: "a" });
    await waitUntil(() => steady.jobIds.length === 1, 3_000, "first job on the steady node");
    const flaky = await node(s, { models: ["q-retry"], capacity: 1, failWith: { code: "busy", retryable: true } });

    const retried = await client.completions.create({ model: "q-retry", prompt: "b" });
    expect(retried.choices[0]?.text).toBe(SLOW_TEXT);
    expect(flaky.jobIds).toEqual([jobIdOf(retried.id)]);
    expect(steady.jobIds).toEqual([steady.jobIds[0], jobIdOf(retried.id)]);
    expect(s.log.find(QUEUED, { jobId: jobIdOf(retried.id), retry: true })).toBeDefined();
    expect((await running).choices[0]?.text).toBe(SLOW_TEXT);
    expect((await s.t.consumerBalance(key.id)).reservedMicroUsd).toBe(0);
  });

  it("answers a waiting request 503 at once when the model's last node stops sharing", async () => {
    const n = await node(s, { ...SLOW, models: ["q-gone"] });
    const { client } = await consumer(s, "gone-first");
    const waiting = await consumer(s, "gone-waiting");
    const before = await s.t.consumerBalance(waiting.key.id);
    const running = client.completions.create({ model: "q-gone", prompt: "a" });
    await waitUntil(() => n.jobIds.length === 1, 3_000, "first job on the node");
    const refused = waiting.client.completions.create({ model: "q-gone", prompt: "b" }).catch((err: unknown) => err);
    await waitUntil(() => s.log.count(QUEUED, "q-gone") === 1, 3_000, "second request waiting");
    const stoppedAt = Date.now();
    n.sendStatus({ sharing: false });
    expect(await refused).toMatchObject({ status: 503, code: "no_capacity" });
    expect(Date.now() - stoppedAt).toBeLessThan(2_000);
    expect(n.jobIds).toHaveLength(1);
    expect(await s.t.consumerBalance(waiting.key.id)).toEqual(before);
    expect((await running).choices[0]?.text).toBe(SLOW_TEXT);
  });
});

describe("the wait limit", () => {
  it("answers 503 with Retry-After when no slot frees in time, leaving the balance untouched", async () => {
    const tokens = Array.from({ length: 30 }, (_, i) => ` w${i}`);
    const n = await node(short, { ...SLOW, models: ["q-expire"], tokens });
    const { client } = await consumer(short, "expire-first");
    const waiting = await consumer(short, "expire-waiting");
    const before = await short.t.consumerBalance(waiting.key.id);
    const running = client.completions.create({ model: "q-expire", prompt: "a", max_tokens: 64 });
    await waitUntil(() => n.jobIds.length === 1, 3_000, "first job on the node");

    const askedAt = Date.now();
    const res = await fetch(`${short.t.coordinator.url}/v1/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${waiting.key.key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "q-expire", prompt: "b" }),
    });
    expect(res.status).toBe(503);
    expect(Date.now() - askedAt).toBeGreaterThanOrEqual(290);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await res.json()).toMatchObject({ error: { code: "no_capacity" } });
    expect(short.log.count(QUEUED, "q-expire")).toBe(1);
    expect(await short.t.consumerBalance(waiting.key.id)).toEqual(before);
    expect(n.jobIds).toHaveLength(1);
    expect((await running).choices[0]?.text).toBe(tokens.join(""));
  });
});
