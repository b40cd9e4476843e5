/**
 * Refunds for a node caught cheating, on both databases: its consumers get back what they paid
 * for its parts whose credit is pending or held (the platform's fee too), never for a credit
 * already available, never twice (repeated or concurrent triggers, a settlement racing them);
 * other nodes' credits are untouched; lifting the hold (an upheld appeal) releases only what was
 * not refunded; the books stay sound over random histories.
 */
import fc from "fast-check";
import { expect, it } from "vitest";
import { splitCost } from "../shared/money";
import { toSafeInteger } from "./db";
import { PLATFORM_ACCOUNT } from "./ledger";
import { creditCheckJob } from "./check-ledger";
import { consumerRefunds } from "./job-refunds";
import { partJobId, settleParts } from "./part-settlement";
import { auditBooks } from "./test-support/ledger-books";
import { fundedConsumer, openJob, receiptFor, settle } from "./test-support/ledger-jobs";
import { ledgerForSuite, nodeAddresses } from "./test-support/ledger-suite";
import { describeOnEachDatabase } from "../tests/support/database-suites";

const HOUR = 3_600_000;
const FEE = 1_000;
const newNode = nodeAddresses(0x9000);

describeOnEachDatabase("consumer refunds", (database) => {
  let now = new Date("2026-07-01T08:00:00Z");
  const books = ledgerForSuite(database, () => now, { verificationWindowMs: HOUR });

  const balance = async (account: string) => (await books.ledger.balance(account)).balanceMicroUsd;
  async function job(consumer: string, node: string, cost: number): Promise<string> {
    const id = await openJob(books.ledger, consumer, cost);
    if (!id) throw new Error("reservation refused");
    expect((await settle(books.ledger, id, node, cost, FEE)).status).toBe("settled");
    return id;
  }

  it("refunds a caught node's pending and held parts in full, fee included, and nothing else", async () => {
    const [a, b] = [await fundedConsumer(books.db, 1_000_000, now), await fundedConsumer(books.db, 1_000_000, now)];
    const [cheat, honest] = [newNode(), newNode()];
    const platformBefore = await balance(PLATFORM_ACCOUNT);
    const released = await job(a, cheat, 1_000);
    now = new Date(now.getTime() + 2 * HOUR);
    await books.ledger.releaseDueCredits();
    const pending = await job(a, cheat, 700);
    const honestJob = await job(a, honest, 900);
    // A job in two parts: the honest node began it, the cheat continued it.
    const split = await openJob(books.ledger, b, 2_000);
    if (!split) throw new Error("reservation refused");
    const r = (id: string) => receiptFor(id, 10, 20);
    await settleParts(books.db, {
      jobId: split,
      feeBps: FEE,
      at: now,
      verificationWindowMs: HOUR,
      parts: [
        { part: 0, nodeAddress: honest, receipt: r(split), finishReason: "stop", costMicroUsd: 400 },
        { part: 1, nodeAddress: cheat, receipt: r(partJobId(split, 1)), finishReason: "stop", costMicroUsd: 600 },
      ],
    });
    await creditCheckJob(books.db, { jobId: `chk_${split}`, address: cheat, model: "m", receipt: r(`chk_${split}`), finishReason: "stop", costMicroUsd: 50, at: now, verificationWindowMs: HOUR });

    // A re-run disagreed with one job: that job alone is refunded, from pending.
    expect(await books.ledger.refundJob(pending, cheat, "a re-run disagreed")).toEqual({ parts: 1, jobs: 1, consumers: 1, microUsd: 700 });
    // Then the node is quarantined: the rest is held, then refunded.
    const held = await job(b, cheat, 333);
    await books.ledger.holdPending(cheat, "quarantined: wrong answers");
    expect(await books.ledger.refundNodeJobs(cheat, "failed verification")).toEqual({ parts: 2, jobs: 2, consumers: 1, microUsd: 933 });

    expect(await balance(a)).toBe(1_000_000 - 1_000 - 900);
    expect(await balance(b)).toBe(1_000_000 - 400);
    const share = (cost: number) => splitCost(cost, FEE).nodeMicroUsd;
    expect(await books.ledger.nodeEarnings(cheat)).toMatchObject({ availableMicroUsd: share(1_000), pendingMicroUsd: 0, heldMicroUsd: 50, lifetimeMicroUsd: share(1_000) + 50 });
    expect(await books.ledger.nodeEarnings(honest)).toMatchObject({ pendingMicroUsd: share(900) + share(400), lifetimeMicroUsd: share(900) + share(400) });
    const keptFees = [1_000, 900, 400].reduce((sum, c) => sum + splitCost(c, FEE).feeMicroUsd, 0);
    expect((await balance(PLATFORM_ACCOUNT)) - platformBefore).toBe(keptFees);
    const states = await books.db.query<{ job_id: string; state: string }>(`SELECT job_id, state FROM node_credits WHERE job_id = ANY($1::text[]) ORDER BY job_id`, [
      [released, pending, honestJob, split, partJobId(split, 1), held],
    ]);
    expect(Object.fromEntries(states.rows.map((s) => [s.job_id, s.state]))).toEqual({
      [released]: "available",
      [pending]: "refunded",
      [honestJob]: "pending",
      [split]: "pending",
      [partJobId(split, 1)]: "refunded",
      [held]: "refunded",
    });
    const lines = await consumerRefunds(books.db, b, new Date(0));
    expect(lines.totalMicroUsd).toBe(933);
    expect(lines.lines.map((l) => [l.job_id, l.part, l.amount_micro_usd, l.reason]).sort()).toEqual([
      [held, 0, 333, "failed verification"],
      [split, 1, 600, "failed verification"],
    ].sort());
    expect(await auditBooks(books.db)).toEqual([]);

    // The appeal is upheld: what was held and not refunded is pending again; refunds stay.
    expect(await books.ledger.releaseHold(cheat)).toBe(true);
    now = new Date(now.getTime() + 2 * HOUR);
    await books.ledger.releaseDueCredits();
    expect(await books.ledger.nodeEarnings(cheat)).toMatchObject({ availableMicroUsd: share(1_000) + 50, pendingMicroUsd: 0, heldMicroUsd: 0 });
    expect([await balance(a), await balance(b)]).toEqual([1_000_000 - 1_900, 1_000_000 - 400]);
    expect(await books.ledger.refundNodeJobs(cheat, "again")).toEqual({ parts: 0, jobs: 0, consumers: 0, microUsd: 0 });
    expect(await auditBooks(books.db)).toEqual([]);
  });

  it("refunds each part once, however often and however concurrently triggered", async () => {
    const consumers = [await fundedConsumer(books.db, 100_000, now), await fundedConsumer(books.db, 100_000, now), await fundedConsumer(books.db, 100_000, now)];
    const cheat = newNode();
    const costs = Array.from({ length: 12 }, (_, i) => 100 + i * 17);
    const ids: string[] = [];
    for (const [i, cost] of costs.entries()) ids.push(await job(consumers[i % 3] as string, cheat, cost));
    // One more job is settling while the triggers run: it is either refunded or left held, never lost.
    const late = await openJob(books.ledger, consumers[0] as string, 500);
    if (!late) throw new Error("reservation refused");
    const results = await Promise.all([
      books.ledger.holdPending(cheat, "quarantined"),
      ...Array.from({ length: 5 }, () => books.ledger.refundNodeJobs(cheat, "failed verification")),
      ...ids.slice(0, 4).map((id) => books.ledger.refundJob(id, cheat, "re-run disagreed")),
      settle(books.ledger, late, cheat, 500, FEE),
      books.ledger.releaseDueCredits(),
    ]);
    const refunded = results.slice(1, 10).reduce((sum, r) => sum + (r as { microUsd: number }).microUsd, 0);
    const parts = results.slice(1, 10).reduce((sum, r) => sum + (r as { parts: number }).parts, 0);
    const rows = await books.db.query<{ n: unknown; s: unknown }>(`SELECT COUNT(*) AS n, SUM(amount_micro_usd) AS s FROM job_refunds WHERE node_address = $1`, [cheat]);
    expect(toSafeInteger(rows.rows[0]?.n)).toBe(parts);
    expect(toSafeInteger(rows.rows[0]?.s)).toBe(refunded);
    expect(parts === costs.length || parts === costs.length + 1).toBe(true);
    // A trigger after the race refunds the late job if the race left it, and nothing else.
    const after = await books.ledger.refundNodeJobs(cheat, "failed verification");
    expect(parts + after.parts).toBe(costs.length + 1);
    for (const consumer of consumers) expect(await balance(consumer)).toBe(100_000);
    // The unique refund row is the last guard: a credit put back to held by hand is not paid twice.
    await books.db.query(`UPDATE node_credits SET state = 'held' WHERE job_id = $1`, [ids[0]]);
    await expect(books.ledger.refundJob(ids[0] as string, cheat, "twice")).rejects.toThrow(/job_refunds|duplicate key/);
    await books.db.query(`UPDATE node_credits SET state = 'refunded' WHERE job_id = $1`, [ids[0]]);
    expect(await balance(consumers[0] as string)).toBe(100_000);
    expect(await books.ledger.nodeEarnings(cheat)).toMatchObject({ pendingMicroUsd: 0, heldMicroUsd: 0, availableMicroUsd: 0, lifetimeMicroUsd: 0 });
    expect(await auditBooks(books.db)).toEqual([]);
  });

  it("refunds a part that cost nothing as a refund of nothing, beside the others", async () => {
    const consumer = await fundedConsumer(books.db, 10_000, now);
    const cheat = newNode();
    const free = await job(consumer, cheat, 0);
    const paid = await job(consumer, cheat, 800);
    expect(await books.ledger.refundNodeJobs(cheat, "caught")).toEqual({ parts: 2, jobs: 2, consumers: 1, microUsd: 800 });
    const { rows } = await books.db.query<{ job_id: string; amount_micro_usd: unknown }>(`SELECT job_id, amount_micro_usd FROM job_refunds WHERE job_id = ANY($1::text[]) ORDER BY amount_micro_usd`, [
      [free, paid],
    ]);
    expect(rows.map((r) => [r.job_id, Number(r.amount_micro_usd)])).toEqual([
      [free, 0],
      [paid, 800],
    ]);
    expect(await balance(consumer)).toBe(10_000);
    expect(await auditBooks(books.db)).toEqual([]);
  });

  it("refuses a bad trigger with a clear error and moves nothing", async () => {
    const consumer = await fundedConsumer(books.db, 10_000, now);
    const [cheat, honest] = [newNode(), newNode()];
    const honestJob = await job(consumer, honest, 1_000);
    await expect(books.ledger.refundNodeJobs(cheat, "  ")).rejects.toThrow(/needs a reason/);
    expect(await books.ledger.refundJob(honestJob, cheat, "wrong node named")).toMatchObject({ parts: 0 });
    expect(await books.ledger.refundJob("job_does_not_exist", honest, "no such job")).toMatchObject({ parts: 0 });
    expect(await balance(consumer)).toBe(9_000);
    expect((await books.ledger.nodeEarnings(honest)).pendingMicroUsd).toBe(splitCost(1_000, FEE).nodeMicroUsd);
    expect(await auditBooks(books.db)).toEqual([]);
  });

  it("keeps every invariant over random histories of jobs, holds, releases and refunds", async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("job" as const), cost: fc.integer({ min: 0, max: 2_000 }), node: fc.nat(2), fee: fc.integer({ min: 0, max: 10_000 }) }),
      fc.record({ kind: fc.constant("hold" as const), node: fc.nat(2) }),
      fc.record({ kind: fc.constant("unhold" as const), node: fc.nat(2) }),
      fc.record({ kind: fc.constant("tick" as const), minutes: fc.integer({ min: 1, max: 90 }) }),
      fc.record({ kind: fc.constant("refund" as const), node: fc.nat(2) }),
      fc.record({ kind: fc.constant("refundJob" as const), pick: fc.nat(50) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(op, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 }), async (rounds) => {
        const consumer = await fundedConsumer(books.db, 50_000, now);
        const nodes = [newNode(), newNode(), newNode()];
        const jobs: { id: string; node: string; cost: number; fee: number }[] = [];
        for (const round of rounds) {
          await Promise.all(
            round.map(async (o) => {
              if (o.kind === "tick") {
                now = new Date(now.getTime() + o.minutes * 60_000);
                await books.ledger.releaseDueCredits();
              } else if (o.kind === "hold") await books.ledger.holdPending(nodes[o.node] as string, "random hold");
              else if (o.kind === "unhold") await books.ledger.releaseHold(nodes[o.node] as string);
              else if (o.kind === "refund") await books.ledger.refundNodeJobs(nodes[o.node] as string, "random refund");
              else if (o.kind === "refundJob") {
                const j = jobs[o.pick % Math.max(1, jobs.length)];
                if (j) await books.ledger.refundJob(j.id, j.node, "random re-run");
              } else {
                const id = await openJob(books.ledger, consumer, o.cost);
                if (!id) return;
                const node = nodes[o.node] as string;
                await settle(books.ledger, id, node, o.cost, o.fee);
                jobs.push({ id, node, cost: o.cost, fee: o.fee });
              }
            }),
          );
        }
        const refunds = await books.db.query<{ job_id: string; amount: unknown }>(`SELECT job_id, amount_micro_usd AS amount FROM job_refunds WHERE consumer_account_id = $1`, [consumer]);
        const refundedIds = new Set(refunds.rows.map((r) => r.job_id));
        const charged = jobs.reduce((sum, j) => sum + j.cost, 0);
        const back = jobs.filter((j) => refundedIds.has(j.id)).reduce((sum, j) => sum + j.cost, 0);
        expect(refunds.rows.reduce((sum, r) => sum + toSafeInteger(r.amount), 0)).toBe(back);
        expect(await balance(consumer)).toBe(50_000 - charged + back);
        for (const node of nodes) {
          const kept = jobs.filter((j) => j.node === node && !refundedIds.has(j.id)).reduce((sum, j) => sum + splitCost(j.cost, j.fee).nodeMicroUsd, 0);
          const e = await books.ledger.nodeEarnings(node);
          expect(e.lifetimeMicroUsd).toBe(kept);
          expect(e.availableMicroUsd + e.pendingMicroUsd + e.heldMicroUsd).toBe(kept);
        }
        // A credit that was ever made available was never refunded.
        expect((await books.db.query(`SELECT job_id FROM node_credits WHERE state = 'refunded' AND released_at IS NOT NULL`)).rows).toEqual([]);
        expect(await auditBooks(books.db)).toEqual([]);
      }),
      { numRuns: database.kind === "PGlite" ? 20 : 10 },
    );
  });
});
