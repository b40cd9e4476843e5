/**
 * `GET /v1/nodes/<address>/earnings` end to end: jobs served by a simulated node for the official
 * openai client, then the node reads its balances, series and per-job records with a request
 * signed by its wallet key; other signers, stale or malformed requests are refused with a clear
 * OpenAI-shaped error.
 */
import OpenAI from "openai";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EARNINGS_SIGNATURE_HEADER, EARNINGS_TIMESTAMP_HEADER, nodeEarningsReportSchema, type NodeEarningsReport } from "../shared/earnings-view";
import { jobCostMicroUsd, splitCost } from "../shared/money";
import { COORDINATOR_IDENTITY_PATH, earningsRequestTypedData, loginTypedData } from "../shared/typed-data";
import { loginIsValid } from "./node-connection";
import { Ledger } from "./ledger";
import { startTestCoordinator, TEST_PRICE, waitUntil, type TestCoordinator } from "./test-support/harness";
import { SimNode } from "./test-support/sim-node";

const FEE_BPS = 1_000;
const HOUR = 3_600_000;
const TOKENS = ["Paid", " by", " the", " token"];
const PROMPT_TOKENS = 6;

let now = Date.now();
let t: TestCoordinator;
let node: SimNode;
let client: OpenAI;
let ledger: Ledger;

beforeAll(async () => {
  t = await startTestCoordinator({ feeBps: FEE_BPS, verificationWindowMs: HOUR, clock: () => new Date(now) });
  ledger = new Ledger(t.db, () => new Date(now));
  node = await SimNode.connect({ wsUrl: t.coordinator.wsUrl, models: ["sim-model"], capacity: 2, tokens: TOKENS, promptTokens: PROMPT_TOKENS });
  const key = await t.coordinator.createApiKey(10_000_000, "earnings test");
  client = new OpenAI({ apiKey: key.key, baseURL: `${t.coordinator.url}/v1`, maxRetries: 0 });
  for (let i = 0; i < 3; i++) {
    await client.completions.create({ model: "sim-model", prompt: `Tell me story ${i}`, max_tokens: 16 });
    now += 1_000;
  }
  await waitUntil(() => node.messages("credit").length >= 3, 5_000, "three credits");
});

afterAll(async () => {
  await node?.close();
  await t?.close();
});

/** Signs `{node, timestamp, coordinator}` with `signer` the way the node does (for this coordinator unless told). */
async function signedHeaders(signer: PrivateKeyAccount, address: string, timestamp = now, coordinator = t.coordinator.coordinatorId): Promise<Record<string, string>> {
  const signature = await signer.signTypedData(earningsRequestTypedData(address as `0x${string}`, timestamp, coordinator));
  return { [EARNINGS_TIMESTAMP_HEADER]: String(timestamp), [EARNINGS_SIGNATURE_HEADER]: signature };
}

async function get(path: string, headers: Record<string, string>, method = "GET"): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${t.coordinator.url}${path}`, { method, headers });
  return { status: res.status, body: await res.json() };
}

async function report(query = ""): Promise<NodeEarningsReport> {
  const { status, body } = await get(`/v1/nodes/${node.address}/earnings${query}`, await signedHeaders(node.account, node.address));
  expect(status).toBe(200);
  return nodeEarningsReportSchema.parse(body);
}

describe("the earnings API", () => {
  it("answers the node's signed request with its balances, series and receipts", async () => {
    const nodeShare = splitCost(jobCostMicroUsd(TEST_PRICE, PROMPT_TOKENS, TOKENS.length), FEE_BPS).nodeMicroUsd;
    const r = await report();
    expect(r.address).toBe(node.address.toLowerCase());
    expect(r.balances).toEqual({
      availableMicroUsd: 0,
      pendingMicroUsd: 3 * nodeShare,
      heldMicroUsd: 0,
      withdrawnMicroUsd: 0,
      lifetimeMicroUsd: 3 * nodeShare,
      todayMicroUsd: expect.any(Number),
    });
    expect(r).toMatchObject({ hold: null, verificationWindowMs: HOUR, feeBps: FEE_BPS, price: TEST_PRICE, nextCursor: null });
    expect(r.hourly).toHaveLength(48);
    expect(r.daily).toHaveLength(30);
    expect(r.hourly.reduce((sum, b) => sum + b.microUsd, 0)).toBe(3 * nodeShare);
    expect(r.daily.reduce((sum, b) => sum + b.jobs, 0)).toBe(3);
    expect(r.hourly.every((b, i) => i === 0 || b.start - (r.hourly[i - 1]?.start ?? 0) === HOUR)).toBe(true);

    // Newest first, each with the receipt the node signed.
    expect(r.jobs.map((j) => j.jobId)).toEqual([...node.jobIds].reverse());
    for (const job of r.jobs) {
      const done = node.sentDone.get(job.jobId);
      expect(job).toMatchObject({
        model: "sim-model",
        promptTokens: PROMPT_TOKENS,
        completionTokens: TOKENS.length,
        amountMicroUsd: nodeShare,
        state: "pending",
        signature: done?.receipt.signature,
        outputHash: done?.receipt.outputHash,
      });
      expect(job.availableAt - job.at).toBe(HOUR);
    }
  });

  it("tells nodes the id they sign for: the one in its login challenge", async () => {
    const res = await fetch(`${t.coordinator.url}${COORDINATOR_IDENTITY_PATH}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ coordinatorId: node.messages("challenge")[0]?.coordinatorId });
    expect(t.coordinator.coordinatorId).toBe(node.messages("challenge")[0]?.coordinatorId);
  });

  it("pages through the jobs with a cursor and filters them by time", async () => {
    const all = (await report()).jobs.map((j) => j.jobId);
    const first = await report("?limit=2");
    expect(first.jobs.map((j) => j.jobId)).toEqual(all.slice(0, 2));
    expect(first.nextCursor).not.toBeNull();
    const second = await report(`?limit=2&cursor=${first.nextCursor}`);
    expect(second.jobs.map((j) => j.jobId)).toEqual(all.slice(2));
    expect(second.nextCursor).toBeNull();
    const newest = (await report()).jobs[0];
    expect((await report(`?since=${newest?.at}`)).jobs.map((j) => j.jobId)).toEqual([newest?.jobId]);
  });

  it("shows credits available after the verification window and held while the node is on hold", async () => {
    now += HOUR + 1_000;
    await ledger.releaseDueCredits();
    const released = await report();
    expect(released.balances.pendingMicroUsd).toBe(0);
    expect(released.balances.availableMicroUsd).toBe(released.balances.lifetimeMicroUsd);
    expect(released.jobs.every((j) => j.state === "available")).toBe(true);

    await client.completions.create({ model: "sim-model", prompt: "One more", max_tokens: 16 });
    await waitUntil(() => node.messages("credit").length >= 4, 5_000, "fourth credit");
    await ledger.holdPending(node.address, "failed a spot check");
    const held = await report();
    expect(held.hold).toMatchObject({ reason: "failed a spot check" });
    expect(held.balances.heldMicroUsd).toBeGreaterThan(0);
    expect(held.jobs[0]?.state).toBe("held");
    await ledger.releaseHold(node.address);
  });

  it("lists a credit refunded to its consumer, worth 0 and with the reason, to a node that asks for it", async () => {
    const before = await report();
    await client.completions.create({ model: "sim-model", prompt: "A job that a re-run will disagree with", max_tokens: 16 });
    await waitUntil(() => node.messages("credit").length >= 5, 5_000, "fifth credit");
    const jobId = node.jobIds.at(-1) ?? "";
    const share = (await report()).jobs.find((j) => j.jobId === jobId)?.amountMicroUsd ?? 0;
    expect(share).toBeGreaterThan(0);
    const refunded = await ledger.refundJob(jobId, node.address, "a re-run on other nodes disagreed with this answer: different text");
    expect(refunded.parts).toBe(1);

    const plain = await report();
    expect(plain.jobs.map((j) => j.jobId)).not.toContain(jobId);
    const asked = await report("?include=refunded");
    const job = asked.jobs.find((j) => j.jobId === jobId);
    expect(job).toMatchObject({
      state: "refunded",
      amountMicroUsd: 0,
      refund: { at: now, microUsd: share, reason: "a re-run on other nodes disagreed with this answer: different text" },
    });
    // The other jobs are as before, with no refund; the refunded one counts nothing anywhere.
    expect(asked.jobs.filter((j) => j.jobId !== jobId).map((j) => [j.jobId, j.refund])).toEqual(before.jobs.map((j) => [j.jobId, null]));
    expect(asked.hourly.reduce((sum, b) => sum + b.microUsd, 0)).toBe(before.hourly.reduce((sum, b) => sum + b.microUsd, 0));
    expect(asked.daily.reduce((sum, b) => sum + b.jobs, 0)).toBe(before.jobs.length);
    expect(asked.balances.lifetimeMicroUsd).toBe(before.balances.lifetimeMicroUsd);
    // Names this coordinator does not know are ignored, so a newer node can ask an older one.
    expect((await report("?include=refunded,something-later")).jobs.find((j) => j.jobId === jobId)?.state).toBe("refunded");
    expect((await report("?include=something-later")).jobs.map((j) => j.jobId)).not.toContain(jobId);
  });

  describe("refuses", () => {
    const path = () => `/v1/nodes/${node.address}/earnings`;
    const expectError = (body: unknown, code: string) => expect(body).toMatchObject({ error: { message: expect.any(String), type: "invalid_request_error", code } });

    it("a request signed by another key, or for another node", async () => {
      const stranger = privateKeyToAccount(generatePrivateKey());
      const wrong = await get(path(), await signedHeaders(stranger, node.address));
      expect(wrong.status).toBe(401);
      expectError(wrong.body, "wrong_signer");
      const other = await get(`/v1/nodes/${stranger.address}/earnings`, await signedHeaders(node.account, node.address));
      expect(other.status).toBe(401);
      expectError(other.body, "wrong_signer");
    });

    it("a request signed for another coordinator", async () => {
      const elsewhere = await get(path(), await signedHeaders(node.account, node.address, now, "https://other-network.example/v1/node"));
      expect(elsewhere.status).toBe(401);
      expectError(elsewhere.body, "wrong_signer");
      expect((elsewhere.body as { error: { message: string } }).error.message).toContain(t.coordinator.coordinatorId);
    });

    it("a login signature offered as an earnings request, and an earnings signature offered as a login", async () => {
      // The node's Login for this very coordinator, over every nonce an earnings request was once signed with.
      for (const nonce of [`earnings:${node.address.toLowerCase()}:${now}`, String(now), "c".repeat(64)]) {
        const login = await node.account.signTypedData(loginTypedData(nonce, t.coordinator.coordinatorId));
        const res = await get(path(), { [EARNINGS_TIMESTAMP_HEADER]: String(now), [EARNINGS_SIGNATURE_HEADER]: login });
        expect(res.status).toBe(401);
        expectError(res.body, "wrong_signer");
      }
      // The reverse: an earnings request's signature answers no login challenge.
      const earnings = await signedHeaders(node.account, node.address);
      const login = { v: 1, type: "login", address: node.address, nonce: String(now), signature: earnings[EARNINGS_SIGNATURE_HEADER], agent: "sim-node/1" } as const;
      expect(await loginIsValid(login as unknown as Parameters<typeof loginIsValid>[0], String(now), t.coordinator.coordinatorId)).toBe(false);
      expect((await get(path(), earnings)).status).toBe(200);
    });

    it("a stale or far-future request", async () => {
      const stale = await get(path(), await signedHeaders(node.account, node.address, now - 5 * 60_000 - 1_000));
      expect(stale.status).toBe(401);
      expectError(stale.body, "stale_signature");
      const future = await get(path(), await signedHeaders(node.account, node.address, now + 6 * 60_000));
      expect(future.status).toBe(401);
      const recent = await get(path(), await signedHeaders(node.account, node.address, now - 4 * 60_000));
      expect(recent.status).toBe(200);
    });

    it("an unsigned request", async () => {
      const res = await get(path(), {});
      expect(res.status).toBe(401);
      expectError(res.body, "missing_signature");
    });

    it("malformed headers, addresses and parameters", async () => {
      const good = await signedHeaders(node.account, node.address);
      const cases: [string, Record<string, string>, string][] = [
        [path(), { ...good, [EARNINGS_TIMESTAMP_HEADER]: "yesterday" }, "invalid_timestamp"],
        [path(), { ...good, [EARNINGS_SIGNATURE_HEADER]: "0x1234" }, "invalid_signature"],
        ["/v1/nodes/0x1234/earnings", good, "invalid_address"],
        [`${path()}?limit=0`, good, "invalid_value"],
        [`${path()}?limit=201`, good, "invalid_value"],
        [`${path()}?cursor=not-a-cursor`, good, "invalid_value"],
        [`${path()}?since=-5`, good, "invalid_value"],
        [`${path()}?include=Refunded!`, good, "invalid_value"],
        [`${path()}?include=`, good, "invalid_value"],
      ];
      for (const [url, headers, code] of cases) {
        const res = await get(url, headers);
        expect([url, res.status]).toEqual([url, 400]);
        expectError(res.body, code);
      }
      const post = await get(path(), good, "POST");
      expect(post.status).toBe(405);
    });
  });
});
