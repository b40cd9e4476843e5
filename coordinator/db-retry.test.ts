/**
 * A database connection lost in the middle of closing a job (on a real PostgreSQL, the backend
 * terminated from inside the transaction): the settlement is retried, so the node is still paid
 * once and the consumer charged once; a release is retried, so no reservation stays held.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import OpenAI from "openai";
import { silentLogger } from "../shared/logger";
import { postgresSkipReason, startThrowawayPostgres, type ThrowawayPostgres } from "../tests/support/postgres";
import { startCoordinator, type RunningCoordinator } from "./coordinator";
import { openDatabase, type Database, type Queryable } from "./db";
import { consumerAccountId, Ledger } from "./ledger";
import { isConnectionLoss } from "./db-retry";
import { auditBooks } from "./test-support/ledger-books";
import { SimNode } from "./test-support/sim-node";
import { TEST_ADMIN_TOKEN, TEST_PRICE, waitUntil } from "./test-support/harness";

const skip = postgresSkipReason();

/** The real database, whose connection dies once, at the first statement matching `cut` after it is armed. */
function cutOnce(db: Database): { db: Database; arm(cut: RegExp): void; armAfter(cut: RegExp): void; fired(): boolean } {
  let armed: RegExp | null = null;
  let armedAfter: RegExp | null = null;
  let fired = false;
  const wrapped: Database = {
    // A statement outside a transaction that committed but whose answer was lost with the connection.
    async query<T>(sql: string, params?: readonly unknown[]) {
      const result = await db.query<T>(sql, params);
      if (armedAfter?.test(sql)) {
        armedAfter = null;
        fired = true;
        throw new Error("Connection terminated unexpectedly");
      }
      return result;
    },
    close: () => db.close(),
    transaction: (fn) =>
      db.transaction((tx) =>
        fn({
          async query<T>(sql: string, params?: readonly unknown[]) {
            if (armed?.test(sql)) {
              armed = null;
              fired = true;
              // A real loss: this transaction's own backend is terminated under it.
              await tx.query(`SELECT pg_terminate_backend(pg_backend_pid())`);
            }
            return tx.query<T>(sql, params);
          },
        } satisfies Queryable),
      ),
  };
  return { db: wrapped, arm: (cut) => (armed = cut), armAfter: (cut) => (armedAfter = cut), fired: () => fired };
}

describe.skipIf(skip !== null)(`closing a job over a lost database connection${skip ? ` (skipped: ${skip})` : ""}`, () => {
  let server: ThrowawayPostgres;
  let db: Database;
  let cut: ReturnType<typeof cutOnce>;
  let coordinator: RunningCoordinator;
  let ledger: Ledger;

  beforeAll(async () => {
    server = await startThrowawayPostgres();
    db = await openDatabase(server.url);
    cut = cutOnce(db);
    coordinator = await startCoordinator({ db: cut.db, adminToken: TEST_ADMIN_TOKEN, defaultPrice: TEST_PRICE, logger: silentLogger, verification: false });
    ledger = new Ledger(db);
  });
  afterAll(async () => {
    await coordinator?.close();
    await db?.close();
    await server?.stop();
  });

  it("pays the node once when the settlement's connection dies", async () => {
    const node = await SimNode.connect({ wsUrl: coordinator.wsUrl, tokens: ["a", "b", "c"], promptTokens: 4 });
    const key = await coordinator.createApiKey(1_000_000, "cut settle");
    const client = new OpenAI({ apiKey: key.key, baseURL: `${coordinator.url}/v1`, maxRetries: 0, timeout: 20_000 });
    cut.arm(/UPDATE jobs (j )?SET status = 'settled'/);
    const res = await client.completions.create({ model: "sim-model", prompt: "hi", max_tokens: 8 });
    expect(res.choices[0]?.text).toBe("abc");
    expect(cut.fired()).toBe(true);
    await waitUntil(() => node.messages("credit").length === 1, 5_000, "the node's credit");
    const jobId = node.jobIds[0] as string;
    const { rows } = await db.query<{ status: string }>(`SELECT status FROM jobs WHERE id = $1`, [jobId]);
    expect(rows[0]?.status).toBe("settled");
    const cost = 4 * 2 + 3 * 5;
    expect(await ledger.balance(consumerAccountId(key.id))).toEqual({ balanceMicroUsd: 1_000_000 - cost, reservedMicroUsd: 0, availableMicroUsd: 1_000_000 - cost });
    expect(await auditBooks(db)).toEqual([]);
    await node.close();
  });

  it("gives the reservation back when the release's connection dies", async () => {
    const node = await SimNode.connect({ wsUrl: coordinator.wsUrl, failWith: { code: "invalid_request", retryable: false } });
    const key = await coordinator.createApiKey(1_000_000, "cut release");
    const client = new OpenAI({ apiKey: key.key, baseURL: `${coordinator.url}/v1`, maxRetries: 0, timeout: 20_000 });
    cut.arm(/UPDATE jobs SET status = \$2/);
    await expect(client.completions.create({ model: "sim-model", prompt: "hi", max_tokens: 8 })).rejects.toMatchObject({ status: 400 });
    expect(cut.fired()).toBe(true);
    const { rows } = await db.query<{ status: string }>(`SELECT status FROM jobs WHERE id = $1`, [node.jobIds[0]]);
    expect(rows[0]?.status).toBe("failed");
    expect(await ledger.balance(consumerAccountId(key.id))).toEqual({ balanceMicroUsd: 1_000_000, reservedMicroUsd: 0, availableMicroUsd: 1_000_000 });
    expect(await auditBooks(db)).toEqual([]);
    await node.close();
  });

  it("closes a job whose reservation committed but whose answer was lost, and the consumer gets an error", async () => {
    const node = await SimNode.connect({ wsUrl: coordinator.wsUrl, tokens: ["a"], promptTokens: 4 });
    const key = await coordinator.createApiKey(1_000_000, "cut reserve");
    const client = new OpenAI({ apiKey: key.key, baseURL: `${coordinator.url}/v1`, maxRetries: 0, timeout: 20_000 });
    cut.armAfter(/WITH held AS/);
    await expect(client.completions.create({ model: "sim-model", prompt: "hi", max_tokens: 8 })).rejects.toMatchObject({ status: 500 });
    expect(cut.fired()).toBe(true);
    const { rows } = await db.query<{ status: string; detail: string }>(
      `SELECT j.status, j.detail FROM jobs j JOIN api_keys k ON k.account_id = j.consumer_account_id WHERE k.id = $1`,
      [key.id],
    );
    expect(rows).toEqual([{ status: "failed", detail: "the reservation's outcome was lost with the database connection" }]);
    expect(node.jobIds).toEqual([]);
    expect(await ledger.balance(consumerAccountId(key.id))).toEqual({ balanceMicroUsd: 1_000_000, reservedMicroUsd: 0, availableMicroUsd: 1_000_000 });
    expect(await auditBooks(db)).toEqual([]);
    await node.close();
  });

  it("tells a lost connection from a wrong statement", () => {
    expect(isConnectionLoss(Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" }))).toBe(true);
    expect(isConnectionLoss(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(isConnectionLoss(Object.assign(new Error('duplicate key value violates unique constraint "receipts_pkey"'), { code: "23505" }))).toBe(false);
    expect(isConnectionLoss("57P01")).toBe(false);
  });
});
