/**
 * The ledger on both databases the coordinator supports: PGlite in memory, and a real
 * PostgreSQL server started for this file (see tests/support/database-suites.ts).
 */
import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import type { Receipt } from "../shared/protocol";
import { splitCost } from "../shared/money";
import { toSafeInteger } from "./db";
import { consumerAccountId, nodePendingAccountId, PLATFORM_ACCOUNT } from "./ledger";
import { createApiKey, findApiKey } from "./api-keys";
import { ledgerForSuite } from "./test-support/ledger-suite";
import { describeOnEachDatabase } from "../tests/support/database-suites";

const NODE = "0x00000000000000000000000000000000000000aa";

function receiptFor(jobId: string, promptTokens = 10, completionTokens = 20): Receipt {
  return { jobId, model: "m", promptTokens, completionTokens, outputHash: `0x${"ab".repeat(32)}`, signature: "0x1234" };
}

describeOnEachDatabase("ledger", (database) => {
  let now = new Date("2026-03-10T12:00:00Z");
  const books = ledgerForSuite(database, () => now);

  async function consumerWith(credit: number): Promise<string> {
    const { id } = await createApiKey(books.db, credit, "test", now);
    return consumerAccountId(id);
  }

  async function openJob(account: string, reserve: number): Promise<string> {
    const jobId = `job_${randomUUID()}`;
    expect(await books.ledger.reserveJob({ jobId, consumerAccountId: account, model: "m", amountMicroUsd: reserve })).toBe(true);
    return jobId;
  }

  async function entriesOfJob(jobId: string): Promise<number[]> {
    const { rows } = await books.db.query<{ amount: unknown }>(`SELECT amount_micro_usd AS amount FROM ledger_entries WHERE job_id = $1 ORDER BY id`, [jobId]);
    return rows.map((r) => toSafeInteger(r.amount));
  }

  it("finds a key by its secret, stores only its hash, and funds its account", async () => {
    const { id, key } = await createApiKey(books.db, 777, "k", now);
    expect(await findApiKey(books.db, key)).toEqual({ id, accountId: consumerAccountId(id), ratePerMinute: null });
    expect(await findApiKey(books.db, `${key}x`)).toBeNull();
    const { rows } = await books.db.query<{ n: unknown }>(`SELECT COUNT(*) AS n FROM api_keys WHERE key_hash = $1`, [key]);
    expect(toSafeInteger(rows[0]?.n)).toBe(0);
    expect(await books.ledger.balance(consumerAccountId(id))).toEqual({ balanceMicroUsd: 777, reservedMicroUsd: 0, availableMicroUsd: 777 });
  });

  it("refuses a reservation above the available balance and counts open reservations", async () => {
    const account = await consumerWith(1_000);
    await openJob(account, 600);
    expect(await books.ledger.reserveJob({ jobId: `job_${randomUUID()}`, consumerAccountId: account, model: "m", amountMicroUsd: 500 })).toBe(false);
    expect(await books.ledger.balance(account)).toMatchObject({ reservedMicroUsd: 600, availableMicroUsd: 400 });
  });

  it("settles a job: consumer charged, node and platform credited, entries sum to zero", async () => {
    const account = await consumerWith(10_000);
    const jobId = await openJob(account, 5_000);
    const nodeBefore = (await books.ledger.balance(nodePendingAccountId(NODE))).balanceMicroUsd;
    const result = await books.ledger.settleJob({ jobId, nodeAddress: NODE, receipt: receiptFor(jobId), finishReason: "stop", costMicroUsd: 1_234, feeBps: 250 });
    const split = splitCost(1_234, 250);
    expect(result).toMatchObject({ status: "settled", costMicroUsd: 1_234, nodeMicroUsd: split.nodeMicroUsd, feeMicroUsd: split.feeMicroUsd });
    expect(await books.ledger.balance(account)).toEqual({ balanceMicroUsd: 10_000 - 1_234, reservedMicroUsd: 0, availableMicroUsd: 10_000 - 1_234 });
    expect((await books.ledger.balance(nodePendingAccountId(NODE))).balanceMicroUsd - nodeBefore).toBe(split.nodeMicroUsd);
    const entries = await entriesOfJob(jobId);
    expect(entries).toEqual([-1_234, split.nodeMicroUsd, split.feeMicroUsd]);
    expect(entries.reduce((a, b) => a + b, 0)).toBe(0);
  });

  it("credits a job once when the same done is settled twice", async () => {
    const account = await consumerWith(10_000);
    const jobId = await openJob(account, 5_000);
    const input = { jobId, nodeAddress: NODE, receipt: receiptFor(jobId), finishReason: "stop" as const, costMicroUsd: 300, feeBps: 0 };
    expect((await books.ledger.settleJob(input)).status).toBe("settled");
    const node = await books.ledger.balance(nodePendingAccountId(NODE));
    expect(await books.ledger.settleJob(input)).toEqual({ status: "already_closed" });
    expect(await books.ledger.balance(nodePendingAccountId(NODE))).toEqual(node);
    expect(await entriesOfJob(jobId)).toHaveLength(2);
    expect((await books.ledger.balance(account)).balanceMicroUsd).toBe(9_700);
  });

  it("credits a job once under two concurrent settlements", async () => {
    const account = await consumerWith(10_000);
    const jobId = await openJob(account, 5_000);
    const input = { jobId, nodeAddress: NODE, receipt: receiptFor(jobId), finishReason: "stop" as const, costMicroUsd: 400, feeBps: 1000 };
    const results = await Promise.allSettled([books.ledger.settleJob(input), books.ledger.settleJob(input)]);
    const statuses = results.map((r) => (r.status === "fulfilled" ? r.value.status : "rejected"));
    expect(statuses.filter((s) => s === "settled")).toHaveLength(1);
    expect(await entriesOfJob(jobId)).toEqual([-400, 360, 40]);
    expect(await books.ledger.balance(account)).toMatchObject({ balanceMicroUsd: 9_600, reservedMicroUsd: 0 });
  });

  it("rolls back a settlement that would cost more than was reserved", async () => {
    const account = await consumerWith(10_000);
    const jobId = await openJob(account, 100);
    await expect(books.ledger.settleJob({ jobId, nodeAddress: NODE, receipt: receiptFor(jobId), finishReason: "stop", costMicroUsd: 101, feeBps: 0 })).rejects.toThrow(
      /reserved/,
    );
    expect(await entriesOfJob(jobId)).toEqual([]);
    expect(await books.ledger.balance(account)).toMatchObject({ balanceMicroUsd: 10_000, reservedMicroUsd: 100 });
    expect(await books.ledger.releaseJob(jobId, "disputed", "test")).toBe(true);
    expect(await books.ledger.balance(account)).toMatchObject({ reservedMicroUsd: 0 });
  });

  it("releases a failed job without moving money, and a closed job cannot be settled", async () => {
    const account = await consumerWith(2_000);
    const jobId = await openJob(account, 1_500);
    expect(await books.ledger.releaseJob(jobId, "failed", "node dropped", NODE)).toBe(true);
    expect(await books.ledger.releaseJob(jobId, "failed", "again")).toBe(false);
    expect(await books.ledger.balance(account)).toEqual({ balanceMicroUsd: 2_000, reservedMicroUsd: 0, availableMicroUsd: 2_000 });
    expect((await books.ledger.settleJob({ jobId, nodeAddress: NODE, receipt: receiptFor(jobId), finishReason: "stop", costMicroUsd: 1, feeBps: 0 })).status).toBe(
      "already_closed",
    );
    expect(await entriesOfJob(jobId)).toEqual([]);
  });

  it("counts today's earnings from the start of the UTC day", async () => {
    const node = "0x00000000000000000000000000000000000000bb";
    const account = await consumerWith(10_000);
    now = new Date("2026-03-11T23:59:00Z");
    const yesterday = await openJob(account, 1_000);
    await books.ledger.settleJob({ jobId: yesterday, nodeAddress: node, receipt: receiptFor(yesterday), finishReason: "stop", costMicroUsd: 70, feeBps: 0 });
    now = new Date("2026-03-12T00:01:00Z");
    const today = await openJob(account, 1_000);
    const result = await books.ledger.settleJob({ jobId: today, nodeAddress: node, receipt: receiptFor(today), finishReason: "stop", costMicroUsd: 30, feeBps: 0 });
    expect(result).toMatchObject({ nodeBalanceMicroUsd: 100, nodeTodayMicroUsd: 30 });
    expect(await books.ledger.nodeTotals(node)).toEqual({ balanceMicroUsd: 100, todayMicroUsd: 30 });
    expect(await books.ledger.nodeEarnings(node)).toMatchObject({ pendingMicroUsd: 100, availableMicroUsd: 0, lifetimeMicroUsd: 100, todayMicroUsd: 30 });
  });

  it("keeps the books: every transfer sums to zero and balances equal the sum of entries", async () => {
    const unbalanced = await books.db.query(`SELECT txn_id FROM ledger_entries GROUP BY txn_id HAVING SUM(amount_micro_usd) <> 0`);
    expect(unbalanced.rows).toEqual([]);
    const { rows } = await books.db.query<{ account_id: string; balance: unknown; total: unknown }>(
      `SELECT b.account_id, b.balance_micro_usd AS balance, COALESCE(SUM(e.amount_micro_usd), 0) AS total
       FROM balances b LEFT JOIN ledger_entries e ON e.account_id = b.account_id GROUP BY b.account_id, b.balance_micro_usd`,
    );
    expect(rows.length).toBeGreaterThan(5);
    for (const r of rows) expect([r.account_id, toSafeInteger(r.balance)]).toEqual([r.account_id, toSafeInteger(r.total)]);
    expect((await books.ledger.balance(PLATFORM_ACCOUNT)).balanceMicroUsd).toBeGreaterThan(0);
  });
});
