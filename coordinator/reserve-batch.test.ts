/**
 * Opening several jobs in one statement: each job is granted or refused as it would be alone, in
 * arrival order, and every granted job's hold is on its consumer. On PGlite and PostgreSQL.
 */
import { expect, it } from "vitest";
import { reserveJobsTogether, type ReserveInput } from "./reserve-batch";
import { auditBooks } from "./test-support/ledger-books";
import { fundedConsumer } from "./test-support/ledger-jobs";
import { ledgerForSuite } from "./test-support/ledger-suite";
import { describeOnEachDatabase } from "../tests/support/database-suites";

describeOnEachDatabase("opening jobs together", (database) => {
  const now = new Date("2026-07-01T10:00:00Z");
  const books = ledgerForSuite(database, () => now);
  let serial = 0;
  const job = (consumerAccountId: string, amountMicroUsd: number): ReserveInput => ({ jobId: `job_rb_${database.kind}_${serial++}`, consumerAccountId, model: "m", amountMicroUsd });

  it("grants each consumer's jobs in order while they fit, and a small one behind a refused big one", async () => {
    const [a, b] = [await fundedConsumer(books.db, 1_000, now), await fundedConsumer(books.db, 500, now)];
    const inputs = [job(a, 600), job(b, 200), job(a, 300), job(a, 200), job(b, 400), job(a, -1), job(b, 300), job("consumer:nobody", 1)];
    const results = await reserveJobsTogether(books.db, inputs, now);
    // a: 600 and 300 fit (900), 200 does not; b: 200 fits, 400 does not, 300 alone does (500).
    expect(results.slice(0, 5)).toEqual([true, true, true, false, false]);
    expect(results[5]).toBeInstanceOf(RangeError);
    expect(results.slice(6)).toEqual([true, false]);
    expect(await books.ledger.balance(a)).toEqual({ balanceMicroUsd: 1_000, reservedMicroUsd: 900, availableMicroUsd: 100 });
    expect(await books.ledger.balance(b)).toEqual({ balanceMicroUsd: 500, reservedMicroUsd: 500, availableMicroUsd: 0 });
    const opened = await books.db.query<{ id: string; reserved_micro_usd: unknown }>(`SELECT id, reserved_micro_usd FROM jobs WHERE id = ANY($1::text[]) ORDER BY reserved_micro_usd`, [
      inputs.map((i) => i.jobId),
    ]);
    expect(opened.rows.map((r) => [r.id, Number(r.reserved_micro_usd)])).toEqual(
      [inputs[1], inputs[2], inputs[6], inputs[0]].map((i) => [i?.jobId, i?.amountMicroUsd]),
    );
    for (const i of [inputs[0], inputs[1], inputs[2], inputs[6]]) expect(await books.ledger.releaseJob(i?.jobId as string, "failed", "test over")).toBe(true);
    expect(await auditBooks(books.db)).toEqual([]);
  });

  it("opens jobs that start at once through the ledger in far fewer statements than jobs", async () => {
    const consumer = await fundedConsumer(books.db, 10_000, now);
    const original = books.db.query;
    let statements = 0;
    books.db.query = ((...args: Parameters<typeof original>) => {
      statements++;
      return original.apply(books.db, args);
    }) as typeof original;
    try {
      const granted = await Promise.all(Array.from({ length: 40 }, () => books.ledger.reserveJob(job(consumer, 250))));
      expect(granted.every(Boolean)).toBe(true);
      expect(statements).toBeLessThan(10);
    } finally {
      books.db.query = original;
    }
    expect(await books.ledger.balance(consumer)).toEqual({ balanceMicroUsd: 10_000, reservedMicroUsd: 10_000, availableMicroUsd: 0 });
    expect(await books.ledger.reserveJob(job(consumer, 1))).toBe(false);
  });
});
