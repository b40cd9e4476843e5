/**
 * Observability: the Prometheus exposition (behind the admin token) counts nodes by state, jobs
 * by outcome, tokens, latencies, errors, failovers and the queue; the pino log of a whole run at
 * debug level holds no prompt, no output and no key.
 */
import { Writable } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import OpenAI from "openai";
import { createPinoLogger } from "./pino-logger";
import { SimNode, type SimNodeOptions } from "./test-support/sim-node";
import { startTestCoordinator, TEST_ADMIN_TOKEN, type TestCoordinator } from "./test-support/harness";

const SECRET_PROMPT = "quokka-lantern-prompt-5521";
const SECRET_TOKENS = ["Marmalade", "-", "nebula", "-", "output", "-", "8830"];
const lines: string[] = [];
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
    done();
  },
});

let t: TestCoordinator;
let key: { id: string; key: string };
let client: OpenAI;
const nodes: SimNode[] = [];

beforeAll(async () => {
  t = await startTestCoordinator({ logger: createPinoLogger({ level: "debug", destination: sink }), dispatchTimeoutMs: 500 });
  key = await t.coordinator.createApiKey(50_000_000, "metrics");
  client = new OpenAI({ apiKey: key.key, baseURL: `${t.coordinator.url}/v1`, maxRetries: 0 });
});
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.close()));
});
afterAll(async () => {
  await t?.close();
});

async function node(opts: Omit<SimNodeOptions, "wsUrl">): Promise<SimNode> {
  const n = await SimNode.connect({ wsUrl: t.coordinator.wsUrl, tokens: SECRET_TOKENS, ...opts });
  nodes.push(n);
  return n;
}

async function scrape(): Promise<Map<string, number>> {
  const res = await fetch(`${t.coordinator.url}/metrics`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain");
  const values = new Map<string, number>();
  for (const line of (await res.text()).split("\n")) {
    const m = /^([a-z_]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m) values.set(m[1] as string, Number(m[2]));
  }
  return values;
}

describe("metrics", () => {
  it("need the admin token", async () => {
    expect((await fetch(`${t.coordinator.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${t.coordinator.url}/metrics`, { headers: { authorization: `Bearer ${key.key}` } })).status).toBe(401);
  });

  it("count nodes by state, jobs by outcome, tokens, latencies, errors and failovers", async () => {
    const steady = await node({ models: ["x-metrics"], capacity: 2 });
    // Connected after the steady node, so it wins the first tie (most recently idle) and breaks off.
    const flaky = await node({ models: ["x-metrics"], failAfterTokens: { count: 2, code: "worker_crashed" } });
    await node({ models: ["x-refuse"], failWith: { code: "invalid_request", retryable: false } });
    const paused = await node({ models: ["x-metrics"] });
    paused.sendStatus({ sharing: false });
    let m = await scrape();
    for (let i = 0; i < 20 && m.get('offpeak_nodes{state="not sharing"}') !== 1; i++) m = await scrape();
    expect(m.get('offpeak_nodes{state="not sharing"}')).toBe(1);
    expect(m.get('offpeak_nodes{state="idle"}')).toBe(3);
    expect(m.get("offpeak_queue_depth")).toBe(0);

    // One answer that fails over mid-stream, one plain answer, one refused by its node.
    const first = await client.completions.create({ model: "x-metrics", prompt: SECRET_PROMPT, max_tokens: 20 });
    const second = await client.chat.completions.create({ model: "x-metrics", messages: [{ role: "user", content: SECRET_PROMPT }], max_tokens: 20 });
    await expect(client.completions.create({ model: "x-refuse", prompt: SECRET_PROMPT })).rejects.toMatchObject({ status: 400 });
    expect(first.choices[0]?.text).toBe(SECRET_TOKENS.join(""));
    expect(steady.jobIds.length).toBeGreaterThanOrEqual(1);

    m = await scrape();
    expect(m.get('offpeak_jobs_total{kind="completion",outcome="answered"}')).toBe(1);
    expect(m.get('offpeak_jobs_total{kind="chat",outcome="answered"}')).toBe(1);
    expect(m.get('offpeak_jobs_total{kind="completion",outcome="error"}')).toBe(1);
    expect(m.get('offpeak_job_errors_total{code="invalid_request"}')).toBe(1);
    expect(m.get('offpeak_tokens_total{type="completion"}')).toBe((first.usage?.completion_tokens ?? 0) + (second.usage?.completion_tokens ?? 0));
    // The second answer may go to the flaky node again (measured speeds decide): each of its jobs is one failover.
    expect(flaky.jobIds.length).toBeGreaterThanOrEqual(1);
    expect(m.get("offpeak_failovers_total")).toBe(flaky.jobIds.length);
    expect(m.get('offpeak_job_duration_seconds_count{kind="completion"}')).toBe(2);
    expect(m.get('offpeak_time_to_first_token_seconds_count{kind="completion"}')).toBe(1);
    expect(m.get('offpeak_node_attempts_total{end="done"}')).toBe(2);
    expect(m.get("offpeak_process_resident_memory_bytes")).toBeGreaterThan(0);
    // Three jobs opened (the refused one too); the answers served by one node settle through the
    // batched writes (one that failed over settles its parts on their own). One at a time here,
    // so each write carries one job.
    expect(m.get('offpeak_ledger_write_jobs_total{op="reserve"}')).toBe(3);
    expect(m.get('offpeak_ledger_writes_total{op="reserve"}')).toBe(3);
    expect(m.get('offpeak_ledger_write_jobs_total{op="settle"}')).toBe(2 - flaky.jobIds.length);
    expect(m.get('offpeak_ledger_writes_total{op="settle"}')).toBe(2 - flaky.jobIds.length);
  });
});

describe("the structured log", () => {
  it("is JSON lines with levels and fields, and holds no prompt, output or key", () => {
    expect(lines.length).toBeGreaterThan(10);
    const parsed = lines.map((l) => JSON.parse(l) as { level: number; msg: string; time: string });
    expect(parsed.every((p) => typeof p.level === "number" && typeof p.msg === "string" && !Number.isNaN(Date.parse(p.time)))).toBe(true);
    expect(parsed.some((p) => p.msg === "job dispatched")).toBe(true);
    expect(parsed.some((p) => p.msg === "answer continues on another node")).toBe(true);
    const all = lines.join("\n");
    expect(all).not.toContain(SECRET_PROMPT);
    expect(all).not.toContain("nebula");
    expect(all).not.toContain(key.key);
  });

  it("blanks fields that carry text by name, even one object down", () => {
    const out: string[] = [];
    const logger = createPinoLogger({ destination: { write: (s: string) => void out.push(s) } });
    logger.info("careless", { prompt: "p-secret", job: { messages: ["m-secret"], text: "t-secret", jobId: "job_1" }, authorization: "Bearer x" });
    const line = JSON.parse(out[0] ?? "{}") as Record<string, unknown>;
    expect(line).toMatchObject({ msg: "careless", prompt: "[redacted]", authorization: "[redacted]", job: { messages: "[redacted]", text: "[redacted]", jobId: "job_1" } });
    logger.debug("not shown at info");
    expect(out).toHaveLength(1);
  });
});
