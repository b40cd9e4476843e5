/**
 * Routing with several simulated nodes: the node that serves a job is the one a consumer would
 * want — within the price the consumer accepts and cheapest, fastest once speeds are measured,
 * able to hold the model — and the consumer pays the price of the node that served.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import OpenAI from "openai";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { jobCostMicroUsd, type ModelPrice } from "../shared/money";
import { SimNode, type SimNodeOptions } from "./test-support/sim-node";
import { startTestCoordinator, TEST_ADMIN_TOKEN, TEST_PRICE, waitUntil, type TestCoordinator } from "./test-support/harness";

let t: TestCoordinator;
let key: { id: string; key: string };
let client: OpenAI;
const nodes: SimNode[] = [];
const GiB = 2 ** 30;
const PROMPT_TOKENS = 3;

beforeAll(async () => {
  // Wide enough for a loaded machine's jitter, narrow enough that a 300 ms slower node loses.
  t = await startTestCoordinator({ latencyToleranceMs: 150 });
  key = await t.coordinator.createApiKey(50_000_000, "routing");
  client = new OpenAI({ apiKey: key.key, baseURL: `${t.coordinator.url}/v1`, maxRetries: 0 });
});
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.close()));
});
afterAll(async () => {
  await t?.close();
});

async function node(opts: Omit<SimNodeOptions, "wsUrl">): Promise<SimNode> {
  const n = await SimNode.connect({ wsUrl: t.coordinator.wsUrl, promptTokens: PROMPT_TOKENS, ...opts });
  nodes.push(n);
  return n;
}

const scaled = (p: ModelPrice, factor: number): ModelPrice => ({
  inputMicroUsdPerMTok: Math.round(p.inputMicroUsdPerMTok * factor),
  outputMicroUsdPerMTok: Math.round(p.outputMicroUsdPerMTok * factor),
});

/** A completion with Offpeak's `max_price` extension in the body. */
function completeWithCap(model: string, maxPrice?: { input?: number; output?: number }) {
  const body = { model, prompt: "hi", max_tokens: 8, ...(maxPrice ? { max_price: maxPrice } : {}) };
  return client.completions.create(body as OpenAI.CompletionCreateParamsNonStreaming);
}

describe("price", () => {
  it("sends the job to the cheapest node within the list price and bills at that node's price", async () => {
    const listNode = await node({ models: ["r-price"] });
    const cheap = await node({ models: ["r-price"], price: scaled(TEST_PRICE, 0.5) });
    const dear = await node({ models: ["r-price"], price: scaled(TEST_PRICE, 3) });
    const before = await t.consumerBalance(key.id);
    const res = await completeWithCap("r-price");
    expect(res.choices[0]?.text).toBe("Hello, world!");
    expect(cheap.jobIds).toHaveLength(1);
    expect([...listNode.jobIds, ...dear.jobIds]).toEqual([]);
    const cost = jobCostMicroUsd(scaled(TEST_PRICE, 0.5), PROMPT_TOKENS, 4);
    const credit = await cheap.waitFor((m) => m.type === "credit");
    expect(credit.type === "credit" && credit.amountMicroUsd).toBe(cost);
    const after = await t.consumerBalance(key.id);
    expect(before.balanceMicroUsd - after.balanceMicroUsd).toBe(cost);
    expect(after.reservedMicroUsd).toBe(0);
  });

  it("blames capacity, not the price cap, when the attempts run out with a node within price still untried", async () => {
    // Three cheap nodes are tried first and each fails before its first token; the job has had
    // its three attempts, and the node at list price it never reached is within the cap.
    const failing = await Promise.all(
      [0, 1, 2].map(() => node({ models: ["r-tries"], price: scaled(TEST_PRICE, 0.5), failWith: { code: "worker_crashed", retryable: true } })),
    );
    const untried = await node({ models: ["r-tries"] });
    const before = await t.consumerBalance(key.id);
    await expect(completeWithCap("r-tries")).rejects.toMatchObject({ status: 503, code: "no_capacity" });
    expect(failing.map((n) => n.jobIds.length)).toEqual([1, 1, 1]);
    expect(untried.jobIds).toEqual([]);
    expect(await t.consumerBalance(key.id)).toEqual(before);
  });

  it("reaches a node asking more than the list price only for a consumer whose max_price covers it", async () => {
    const dear = await node({ models: ["r-dear"], price: scaled(TEST_PRICE, 3) });
    const before = await t.consumerBalance(key.id);
    await expect(completeWithCap("r-dear")).rejects.toMatchObject({ status: 503, code: "no_node_within_price", param: "max_price" });
    await expect(completeWithCap("r-dear", { output: TEST_PRICE.outputMicroUsdPerMTok * 3 })).rejects.toMatchObject({ status: 503 });
    expect(await t.consumerBalance(key.id)).toEqual(before);
    expect(dear.jobIds).toEqual([]);

    const cap = scaled(TEST_PRICE, 3);
    const res = await completeWithCap("r-dear", { input: cap.inputMicroUsdPerMTok, output: cap.outputMicroUsdPerMTok });
    expect(res.choices[0]?.text).toBe("Hello, world!");
    expect(dear.jobIds).toHaveLength(1);
    await dear.waitFor((m) => m.type === "credit");
    expect(before.balanceMicroUsd - (await t.consumerBalance(key.id)).balanceMicroUsd).toBe(jobCostMicroUsd(cap, PROMPT_TOKENS, 4));
  });

  it("honours a cap below the list price: only nodes asking less serve, the others are skipped", async () => {
    const listNode = await node({ models: ["r-low"] });
    const cheap = await node({ models: ["r-low"], price: scaled(TEST_PRICE, 0.25) });
    const cap = scaled(TEST_PRICE, 0.3);
    // Both idle and equal but for price: the cap leaves one candidate.
    for (let i = 0; i < 3; i++) await completeWithCap("r-low", { input: cap.inputMicroUsdPerMTok, output: cap.outputMicroUsdPerMTok });
    expect(cheap.jobIds).toHaveLength(3);
    expect(listNode.jobIds).toHaveLength(0);
  });

  it("refuses a malformed max_price with a 400 naming the field, charging nothing", async () => {
    await node({ models: ["r-bad"] });
    const before = await t.consumerBalance(key.id);
    await expect(completeWithCap("r-bad", { output: -5 })).rejects.toMatchObject({ status: 400, param: "max_price.output" });
    expect(await t.consumerBalance(key.id)).toEqual(before);
  });
});

describe("speed and memory", () => {
  it("prefers the node measured faster once both have served", async () => {
    const tokens = Array.from({ length: 12 }, (_, i) => ` w${i}`);
    const slow = await node({ models: ["r-speed"], tokens, tokenIntervalMs: 60 });
    const fast = await node({ models: ["r-speed"], tokens, tokenIntervalMs: 4 });
    // Two at once: each node serves one, so both decode rates are measured.
    await Promise.all([completeWithCap("r-speed"), completeWithCap("r-speed")]);
    expect([slow.jobIds.length, fast.jobIds.length]).toEqual([1, 1]);
    for (let i = 0; i < 3; i++) await completeWithCap("r-speed");
    expect(fast.jobIds).toHaveLength(4);
    expect(slow.jobIds).toHaveLength(1);
  });

  it("never sends a job to a node that cannot hold the model in memory", async () => {
    const small = await node({ models: ["r-mem"], sizeBytes: 12 * GiB, memoryBytes: 8 * GiB });
    const big = await node({ models: ["r-mem"], sizeBytes: 12 * GiB, memoryBytes: 32 * GiB });
    for (let i = 0; i < 2; i++) await completeWithCap("r-mem");
    expect(big.jobIds).toHaveLength(2);
    expect(small.jobIds).toHaveLength(0);
    await big.close();
    await waitUntil(() => !big.isOpen, 2_000, "the big node gone");
    await expect(completeWithCap("r-mem")).rejects.toMatchObject({ status: 503 });
    expect(small.jobIds).toHaveLength(0);
  });
});

describe("latency and reputation", () => {
  async function adminNodes(): Promise<{ address: string; rttMs: number | null; reputation: number }[]> {
    const res = await fetch(`${t.coordinator.url}/admin/nodes`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    return ((await res.json()) as { nodes: { address: string; rttMs: number | null; reputation: number }[] }).nodes;
  }

  it("prefers the node with the shorter round trip, measured from its pings", async () => {
    const near = await node({ models: ["r-rtt"] });
    // Connected last, so on a tie it would be the one picked.
    const far = await node({ models: ["r-rtt"], pongDelayMs: 300 });
    await waitUntil(async () => (await adminNodes()).filter((n) => n.rttMs !== null && [near, far].some((s) => s.address.toLowerCase() === n.address)).length === 2, 3_000, "both round trips");
    const rtt = new Map((await adminNodes()).map((n) => [n.address, n.rttMs]));
    expect(rtt.get(far.address.toLowerCase())).toBeGreaterThanOrEqual(250);
    for (let i = 0; i < 3; i++) await completeWithCap("r-rtt");
    expect(near.jobIds).toHaveLength(3);
    expect(far.jobIds).toHaveLength(0);
  });

  it("prefers the node with the better verification record", async () => {
    const trusted = await node({ models: ["r-rep"] });
    const key = generatePrivateKey();
    const address = privateKeyToAccount(key).address.toLowerCase();
    // Two failed checks against ten passed: below a fresh node, above the quarantine bar.
    await t.db.query(`INSERT INTO node_reputation (address, checks_passed, checks_failed, updated_at) VALUES ($1, 10, 2, now())`, [address]);
    const doubted = await node({ models: ["r-rep"], privateKey: key });
    const scores = new Map((await adminNodes()).map((n) => [n.address, n.reputation]));
    expect(scores.get(address)).toBeLessThan(scores.get(trusted.address.toLowerCase()) as number);
    for (let i = 0; i < 3; i++) await completeWithCap("r-rep");
    expect(trusted.jobIds).toHaveLength(3);
    expect(doubted.jobIds).toHaveLength(0);
  });
});
