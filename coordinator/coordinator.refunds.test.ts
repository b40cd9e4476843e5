/**
 * Consumers made whole, end to end on both databases: a simulated node answering with wrong text
 * serves real consumer jobs (official openai client), is caught by known-answer probes or by a
 * re-run, and every consumer gets back what it paid for that node's answers; honest nodes' credits
 * stand; the consumer's usage shows the refund lines with their reason; the admin sees what was
 * refunded for the node; a repeated trigger refunds nothing more; lifting the quarantine (an
 * upheld appeal) leaves the refunds in place; the books stay sound.
 */
import { afterEach, expect, it } from "vitest";
import OpenAI from "openai";
import { jobCostMicroUsd, splitCost, type ModelPrice } from "../shared/money";
import { isQuarantined, startCheckedPool, WRONG_TOKENS as WRONG, type CheckedPool } from "./test-support/cheating-nodes";
import { TEST_ADMIN_TOKEN, TEST_PRICE, waitUntil, type TestCoordinator } from "./test-support/harness";
import { auditBooks } from "./test-support/ledger-books";
import type { VerificationOptions } from "./verification";
import { describeOnEachDatabase } from "../tests/support/database-suites";

const DAY = 86_400_000;
const FEE = 1_000;
const CREDIT = 10_000_000;
const CHEAP: ModelPrice = { inputMicroUsdPerMTok: 1_000_000, outputMicroUsdPerMTok: 2_000_000 };

/** One answer a consumer got: who served it (told by its text) and what it cost at that node's price. */
interface Answer {
  readonly consumer: number;
  readonly cheat: boolean;
  readonly cost: number;
}

describeOnEachDatabase("refunds for a node caught cheating", (database) => {
  let pool: CheckedPool | undefined;
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });

  async function setup(verification: VerificationOptions, cheatPrice?: ModelPrice) {
    pool = await startCheckedPool(verification, { tokens: WRONG, ...(cheatPrice ? { price: cheatPrice } : {}) }, { verificationWindowMs: DAY, feeBps: FEE }, database.target());
    const { t: c, honest, cheater } = pool;
    const keys = [await c.coordinator.createApiKey(CREDIT, "first"), await c.coordinator.createApiKey(CREDIT, "second")];
    const clients = keys.map((k) => new OpenAI({ apiKey: k.key, baseURL: `${c.coordinator.url}/v1`, maxRetries: 0 }));
    const answers: Answer[] = [];
    const ask = async (consumer: number, prompt: string) => {
      const r = await (clients[consumer] as OpenAI).completions.create({ model: "v-model", prompt, max_tokens: 16, temperature: 0 });
      const cheat = r.choices[0]?.text.includes("rhyme") ?? false;
      const price = cheat && cheatPrice ? cheatPrice : TEST_PRICE;
      answers.push({ consumer, cheat, cost: jobCostMicroUsd(price, r.usage?.prompt_tokens ?? 0, r.usage?.completion_tokens ?? 0) });
    };
    return { c, honest, cheater, keys, clients, answers, ask };
  }

  const checkCount = async (c: TestCoordinator) => (await c.db.query(`SELECT id FROM verification_checks`)).rows.length;
  const admin = async (c: TestCoordinator, method: string, path: string) => {
    const res = await fetch(`${c.coordinator.url}${path}`, { method, headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  /** Waits (bounded) until no check has been recorded for a few polls: this round's probes are done. */
  const checksSettled = async (c: TestCoordinator) => {
    let last = -1;
    let still = 0;
    await waitUntil(
      async () => {
        await new Promise((r) => setTimeout(r, 150));
        const n = await checkCount(c);
        still = n === last ? still + 1 : 0;
        last = n;
        return n > 0 && still >= 3;
      },
      10_000,
      "the round's checks",
    );
  };
  const sum = (list: readonly Answer[]) => list.reduce((s, a) => s + a.cost, 0);

  /** Every consumer is back to its credit less what honest nodes served it; refunds shown; honest credits untouched. */
  async function expectMadeWhole(s: Awaited<ReturnType<typeof setup>>, reason: RegExp) {
    const { c, honest, cheater, keys, clients, answers } = s;
    expect(answers.some((a) => a.cheat)).toBe(true);
    for (const [i, key] of keys.entries()) {
      const mine = answers.filter((a) => a.consumer === i);
      const expected = CREDIT - sum(mine.filter((a) => !a.cheat));
      await waitUntil(async () => (await c.consumerBalance(key.id)).balanceMicroUsd === expected, 20_000, `consumer ${i} refunded`);
      const usage = (await (clients[i] as OpenAI).get("/usage")) as { balance_micro_usd: number; spent_micro_usd: number; refunded_micro_usd: number; refunds: { job_id: string; amount_micro_usd: number; reason: string; object: string }[] };
      expect(usage.balance_micro_usd).toBe(expected);
      expect(usage.spent_micro_usd).toBe(sum(mine));
      expect(usage.refunded_micro_usd).toBe(sum(mine.filter((a) => a.cheat)));
      expect(usage.refunds.map((l) => l.amount_micro_usd).sort()).toEqual(mine.filter((a) => a.cheat).map((a) => a.cost).sort());
      for (const line of usage.refunds) {
        expect(line).toMatchObject({ object: "refund", job_id: expect.stringMatching(/^job_/) as unknown });
        expect(line.reason).toMatch(reason);
      }
    }
    // Honest nodes: every consumer credit stands, pending, at its full share.
    const honestAddresses = honest.map((h) => h.address.toLowerCase());
    const { rows } = await c.db.query<{ state: string; amount: string | number }>(
      `SELECT c.state, c.amount_micro_usd AS amount FROM node_credits c JOIN jobs j ON j.id = c.job_id WHERE c.node_address = ANY($1::text[]) AND j.consumer_account_id LIKE 'consumer:%'`,
      [honestAddresses],
    );
    expect(rows.every((r) => r.state === "pending")).toBe(true);
    const honestShares = answers.filter((a) => !a.cheat).reduce((s2, a) => s2 + splitCost(a.cost, FEE).nodeMicroUsd, 0);
    expect(rows.reduce((s2, r) => s2 + Number(r.amount), 0)).toBe(honestShares);
    // The admin sees what was refunded for the cheater's work, and nothing for the honest nodes.
    const cheats = answers.filter((a) => a.cheat);
    const view = await admin(c, "GET", `/admin/nodes/${cheater.address}`);
    expect(view.status).toBe(200);
    expect(view.json).toMatchObject({ connected: true, state: "quarantined", refunds: { jobs: cheats.length, parts: cheats.length, microUsd: sum(cheats) } });
    const list = (await admin(c, "GET", "/admin/nodes")).json.nodes as { address: string; refunds: { jobs: number } }[];
    for (const n of list) expect(n.refunds.jobs).toBe(n.address === cheater.address.toLowerCase() ? cheats.length : 0);
    expect((await admin(c, "GET", "/admin/nodes/not-an-address")).status).toBe(400);
    // A repeated trigger refunds nothing more; the books are sound.
    expect((await c.ledger.refundNodeJobs(cheater.address, "again")).parts).toBe(0);
    expect(await auditBooks(c.db)).toEqual([]);

    // The owner's appeal is upheld: the hold is lifted, what was not refunded is pending again,
    // and the refunds stay.
    const before = await c.ledger.nodeEarnings(cheater.address);
    expect((await admin(c, "POST", `/admin/nodes/${cheater.address}/release`)).status).toBe(200);
    const after = await c.ledger.nodeEarnings(cheater.address);
    expect(after).toMatchObject({ heldMicroUsd: 0, pendingMicroUsd: before.heldMicroUsd, lifetimeMicroUsd: before.lifetimeMicroUsd });
    for (const [i, key] of keys.entries()) {
      expect((await c.consumerBalance(key.id)).balanceMicroUsd).toBe(CREDIT - sum(answers.filter((a) => a.consumer === i && !a.cheat)));
    }
    expect((await admin(c, "GET", `/admin/nodes/${cheater.address}`)).json).toMatchObject({ quarantine: null, hold: null, refunds: { microUsd: sum(cheats) } });
    expect(await auditBooks(c.db)).toEqual([]);
  }

  it("refunds every consumer of a node caught by known-answer probes", async () => {
    const s = await setup({ probeRate: 0, newcomerProbeRate: 1, maxJobsBetweenProbes: 1_000, rerunRate: 0 });
    for (let round = 1; round <= 6 && !(await isQuarantined(s.c, s.cheater)); round++) {
      // Three at once, one per node (capacity 1 each), from both consumers.
      await Promise.all([0, 1, 2].map((i) => s.ask((round + i) % 2, "Tell me a story")));
      await checksSettled(s.c);
    }
    expect(await isQuarantined(s.c, s.cheater)).toBe(true);
    await expectMadeWhole(s, /failed verification: .*known answer/);
  });

  it("refunds the job a re-run disagreed with, at the price the cheater asked", async () => {
    // The cheater asks less, so routing gives it the first job.
    const s = await setup({ probeRate: 0, newcomerProbeRate: 0, maxJobsBetweenProbes: 1_000, rerunRate: 1 }, CHEAP);
    for (let round = 1; round <= 4 && !(await isQuarantined(s.c, s.cheater)); round++) {
      await s.ask(round % 2, `Round ${round}`);
      await waitUntil(async () => (await checkCount(s.c)) >= round, 20_000, "the re-run");
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(s.answers[0]?.cheat).toBe(true);
    await s.ask(0, "After");
    await expectMadeWhole(s, /re-run on other nodes disagreed|failed verification/);
    const { rows } = await s.c.db.query<{ cause: string; reason: string }>(`SELECT cause, reason FROM job_refunds WHERE node_address = $1`, [s.cheater.address.toLowerCase()]);
    expect(rows).toContainEqual({ cause: "rerun", reason: expect.stringMatching(/^a re-run on other nodes disagreed with this answer: answered a temperature-0 job/) as unknown });
  });
});
