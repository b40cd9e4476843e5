/**
 * The ledger's promises under load and under random histories, on both databases: all entries
 * sum to zero; no balance is negative and no consumer spends beyond its reservations; every node
 * credit rests on a receipt; stored balances equal the sum of their entries; a job is credited
 * once — with many jobs completing at once, a duplicate receipt raced, and holds and releases
 * in between.
 */
import fc from "fast-check";
import { expect, it } from "vitest";
import { splitCost } from "../shared/money";
import { auditBooks } from "./test-support/ledger-books";
import { fundedConsumer, openJob, settle } from "./test-support/ledger-jobs";
import { ledgerForSuite, nodeAddresses } from "./test-support/ledger-suite";
import { describeOnEachDatabase } from "../tests/support/database-suites";

const HOUR = 3_600_000;
const newNode = nodeAddresses(0x1000);

describeOnEachDatabase("ledger invariants", (database) => {
  let now = new Date("2026-06-01T08:00:00Z");
  const books = ledgerForSuite(database, () => now, { verificationWindowMs: HOUR });

  it("keeps the books when many jobs complete at once and duplicate receipts race", async () => {
    const consumers = [await fundedConsumer(books.db, 50_000, now), await fundedConsumer(books.db, 50_000, now)];
    const nodes = [newNode(), newNode(), newNode()];
    const jobs: { jobId: string; consumer: string; node: string; cost: number }[] = [];
    for (let i = 0; i < 40; i++) {
      const consumer = consumers[i % 2] as string;
      const jobId = await openJob(books.ledger, consumer, 1_000);
      if (!jobId) throw new Error("reservation refused");
      jobs.push({ jobId, consumer, node: nodes[i % 3] as string, cost: 1 + ((i * 37) % 1_000) });
    }
    // Every job settles at once, every fifth one twice (a replayed `done`), with a release run
    // and a hold in the middle.
    const settlements = jobs.flatMap((job, i) => {
      const once = () => settle(books.ledger, job.jobId, job.node, job.cost, 250);
      return i % 5 === 0 ? [once(), once()] : [once()];
    });
    const results = await Promise.all([...settlements, books.ledger.releaseDueCredits(), books.ledger.holdPending(nodes[2] as string, "spot check")]);
    const statuses = results.slice(0, settlements.length).map((r) => (r as { status: string }).status);
    expect(statuses.filter((s) => s === "settled")).toHaveLength(jobs.length);
    expect(statuses.filter((s) => s === "already_closed")).toHaveLength(8);

    for (const consumer of consumers) {
      const charged = jobs.filter((j) => j.consumer === consumer).reduce((sum, j) => sum + j.cost, 0);
      expect(await books.ledger.balance(consumer)).toEqual({ balanceMicroUsd: 50_000 - charged, reservedMicroUsd: 0, availableMicroUsd: 50_000 - charged });
    }
    for (const node of nodes) {
      const owed = jobs.filter((j) => j.node === node).reduce((sum, j) => sum + splitCost(j.cost, 250).nodeMicroUsd, 0);
      const e = await books.ledger.nodeEarnings(node);
      expect(e.lifetimeMicroUsd).toBe(owed);
      expect(e.availableMicroUsd + e.pendingMicroUsd + e.heldMicroUsd).toBe(owed);
    }
    expect((await books.ledger.nodeEarnings(nodes[2] as string)).pendingMicroUsd).toBe(0);
    expect(await auditBooks(books.db)).toEqual([]);
  });

  it("never lets a consumer spend beyond its credit, however many jobs start at once", async () => {
    const consumer = await fundedConsumer(books.db, 10_000, now);
    const node = newNode();
    const opened = await Promise.all(Array.from({ length: 25 }, () => openJob(books.ledger, consumer, 900)));
    const granted = opened.filter((id): id is string => id !== null);
    expect(granted).toHaveLength(11);
    await Promise.all(granted.map((jobId) => settle(books.ledger, jobId, node, 900)));
    expect(await books.ledger.balance(consumer)).toEqual({ balanceMicroUsd: 100, reservedMicroUsd: 0, availableMicroUsd: 100 });
    expect(await auditBooks(books.db)).toEqual([]);
  });

  it("keeps every invariant over random histories of jobs, receipts, holds and releases", async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("job" as const), reserve: fc.integer({ min: 0, max: 3_000 }), costShare: fc.integer({ min: 0, max: 120 }), node: fc.nat(2), fee: fc.integer({ min: 0, max: 10_000 }), replay: fc.boolean(), fail: fc.boolean() }),
      fc.record({ kind: fc.constant("hold" as const), node: fc.nat(2) }),
      fc.record({ kind: fc.constant("unhold" as const), node: fc.nat(2) }),
      fc.record({ kind: fc.constant("tick" as const), minutes: fc.integer({ min: 1, max: 90 }), limit: fc.integer({ min: 1, max: 5 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(op, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 }), async (rounds) => {
        const credit = 20_000;
        const consumer = await fundedConsumer(books.db, credit, now);
        const nodes = [newNode(), newNode(), newNode()];
        let charged = 0;
        const owed = new Map<string, number>();
        for (const round of rounds) {
          // The operations of a round run at once; rounds run one after the other.
          await Promise.all(
            round.map(async (o) => {
              if (o.kind === "tick") {
                now = new Date(now.getTime() + o.minutes * 60_000);
                await books.ledger.releaseDueCredits(o.limit);
              } else if (o.kind === "hold") await books.ledger.holdPending(nodes[o.node] as string, "random hold");
              else if (o.kind === "unhold") await books.ledger.releaseHold(nodes[o.node] as string);
              else {
                const jobId = await openJob(books.ledger, consumer, o.reserve);
                if (!jobId) return;
                if (o.fail) {
                  await books.ledger.releaseJob(jobId, "failed", "node dropped");
                  return;
                }
                const cost = Math.floor((o.reserve * o.costShare) / 100);
                const node = nodes[o.node] as string;
                const tries = await Promise.allSettled(o.replay ? [settle(books.ledger, jobId, node, cost, o.fee), settle(books.ledger, jobId, node, cost, o.fee)] : [settle(books.ledger, jobId, node, cost, o.fee)]);
                if (tries.some((t) => t.status === "fulfilled" && t.value.status === "settled")) {
                  charged += cost;
                  owed.set(node, (owed.get(node) ?? 0) + splitCost(cost, o.fee).nodeMicroUsd);
                } else {
                  // Over its reservation: refused, nothing moved; the job is released.
                  expect(cost).toBeGreaterThan(o.reserve);
                  await books.ledger.releaseJob(jobId, "disputed", "cost above reservation");
                }
              }
            }),
          );
        }
        expect(await books.ledger.balance(consumer)).toEqual({ balanceMicroUsd: credit - charged, reservedMicroUsd: 0, availableMicroUsd: credit - charged });
        for (const node of nodes) expect((await books.ledger.nodeEarnings(node)).lifetimeMicroUsd).toBe(owed.get(node) ?? 0);
        expect(await auditBooks(books.db)).toEqual([]);
      }),
      { numRuns: database.kind === "PGlite" ? 25 : 12 },
    );
  });
});
