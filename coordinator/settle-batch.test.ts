/**
 * Settling several jobs in one transaction: each job ends as it would alone — a job whose cost
 * exceeds its reservation fails by itself, a job named twice settles once, a held node's credit
 * lands held — and the books stay sound. On PGlite and PostgreSQL.
 */
import { expect, it } from "vitest";
import { splitCost } from "../shared/money";
import { settleJobsTogether, type SettleInput } from "./settle-batch";
import { auditBooks } from "./test-support/ledger-books";
import { fundedConsumer, openJob, receiptFor } from "./test-support/ledger-jobs";
import { ledgerForSuite, nodeAddresses } from "./test-support/ledger-suite";
import { describeOnEachDatabase } from "../tests/support/database-suites";

const HOUR = 3_600_000;
const newNode = nodeAddresses(0x5e77);

describeOnEachDatabase("settling jobs together", (database) => {
  const now = new Date("2026-07-01T10:00:00Z");
  const books = ledgerForSuite(database, () => now, { verificationWindowMs: HOUR });
  const input = (jobId: string, node: string, cost: number): SettleInput => ({
    jobId,
    nodeAddress: node,
    receipt: receiptFor(jobId),
    finishReason: "stop",
    costMicroUsd: cost,
    feeBps: 1_000,
  });

  it("settles each job as it would alone, in one transaction", async () => {
    const consumer = await fundedConsumer(books.db, 100_000, now);
    const [a, b, held] = [newNode(), newNode(), newNode()];
    await books.ledger.holdPending(held as string, "under review");
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await openJob(books.ledger, consumer, 2_000)) as string);
    const [j0, j1, j2, j3, j4, j5] = ids as [string, string, string, string, string, string];
    const results = await settleJobsTogether(
      books.db,
      [
        input(j0, a as string, 1_000),
        input(j1, b as string, 1_500),
        input(j2, a as string, 2_001), // more than it reserved
        input(j1, b as string, 1_500), // the same job again
        input(j3, held as string, 800),
        input(j4, a as string, -5), // not a cost
        input(j5, b.toUpperCase().replace("0X", "0x"), 0),
      ],
      { at: now, verificationWindowMs: HOUR },
    );
    const share = (cost: number) => splitCost(cost, 1_000);
    expect(results[0]).toMatchObject({ status: "settled", costMicroUsd: 1_000, nodeMicroUsd: share(1_000).nodeMicroUsd, feeMicroUsd: share(1_000).feeMicroUsd });
    expect(results[1]).toMatchObject({ status: "settled", costMicroUsd: 1_500 });
    expect(results[2]).toEqual(new Error(`job ${j2} costs 2001 but only 2000 was reserved`));
    expect(results[3]).toEqual({ status: "already_closed" });
    expect(results[4]).toMatchObject({ status: "settled", nodeMicroUsd: share(800).nodeMicroUsd });
    expect(results[5]).toBeInstanceOf(RangeError);
    expect(results[6]).toMatchObject({ status: "settled", costMicroUsd: 0, nodeMicroUsd: 0 });
    // The nodes' totals after the whole batch: node a earned for j0 only.
    expect(results[0]).toMatchObject({ nodeBalanceMicroUsd: share(1_000).nodeMicroUsd, nodeTodayMicroUsd: share(1_000).nodeMicroUsd });
    expect(results[1]).toMatchObject({ nodeBalanceMicroUsd: share(1_500).nodeMicroUsd });

    // j2 and j4 are still open and hold their reservations; the rest are charged.
    const charged = 1_000 + 1_500 + 800;
    expect(await books.ledger.balance(consumer)).toEqual({ balanceMicroUsd: 100_000 - charged, reservedMicroUsd: 4_000, availableMicroUsd: 100_000 - charged - 4_000 });
    expect((await books.ledger.nodeEarnings(held as string)).heldMicroUsd).toBe(share(800).nodeMicroUsd);
    expect((await books.ledger.nodeEarnings(a as string)).pendingMicroUsd).toBe(share(1_000).nodeMicroUsd);
    const statuses = await books.db.query<{ id: string; status: string }>(`SELECT id, status FROM jobs WHERE id = ANY($1::text[]) ORDER BY id`, [ids]);
    expect(Object.fromEntries(statuses.rows.map((r) => [r.id, r.status]))).toEqual({ [j0]: "settled", [j1]: "settled", [j2]: "running", [j3]: "settled", [j4]: "running", [j5]: "settled" });

    // The open ones close normally afterwards.
    expect(await books.ledger.releaseJob(j2, "disputed", "over budget")).toBe(true);
    expect(await books.ledger.settleJob(input(j4, a as string, 10))).toMatchObject({ status: "settled" });
    expect((await books.ledger.balance(consumer)).reservedMicroUsd).toBe(0);
    expect(await auditBooks(books.db)).toEqual([]);
  });

  it("settles many jobs that finish at once in far fewer transactions than jobs", async () => {
    const consumer = await fundedConsumer(books.db, 1_000_000, now);
    const nodes = [newNode(), newNode(), newNode(), newNode()];
    const ids = await Promise.all(Array.from({ length: 60 }, () => openJob(books.ledger, consumer, 1_000)));
    const transactions = countTransactions(books.db);
    const results = await Promise.all(ids.map((id, i) => books.ledger.settleJob(input(id as string, nodes[i % 4] as string, 100 + i))));
    expect(results.every((r) => r.status === "settled")).toBe(true);
    expect(transactions.count()).toBeGreaterThanOrEqual(1);
    expect(transactions.count()).toBeLessThan(10);
    transactions.restore();
    const charged = ids.reduce((sum, _id, i) => sum + 100 + i, 0);
    expect(await books.ledger.balance(consumer)).toEqual({ balanceMicroUsd: 1_000_000 - charged, reservedMicroUsd: 0, availableMicroUsd: 1_000_000 - charged });
    expect(await auditBooks(books.db)).toEqual([]);
  });
});

/** Counts the transactions opened on `db` until restored. */
function countTransactions(db: { transaction: (...args: never[]) => unknown }) {
  const original = db.transaction;
  let count = 0;
  db.transaction = ((...args: never[]) => {
    count++;
    return original.apply(db, args);
  }) as typeof db.transaction;
  return { count: () => count, restore: () => void (db.transaction = original) };
}
