/**
 * The database layer: BIGINT conversion, migrations, transactions and concurrency, on PGlite and
 * on a real PostgreSQL server started for this file.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeOnEachDatabase } from "../tests/support/database-suites";
import { createApiKey } from "./api-keys";
import { openDatabase, toSafeInteger, type Database } from "./db";
import { consumerAccountId, ensureAccount, Ledger, nodePendingAccountId } from "./ledger";
import { MIGRATIONS } from "./migrations";

describe("toSafeInteger", () => {
  it("reads the forms drivers return for BIGINT and NUMERIC", () => {
    expect(toSafeInteger(42)).toBe(42);
    expect(toSafeInteger(42n)).toBe(42);
    expect(toSafeInteger("-9007199254740991")).toBe(-9007199254740991);
    expect(toSafeInteger(null)).toBe(0);
  });

  it("refuses fractions and values beyond the safe range", () => {
    expect(() => toSafeInteger("1.5")).toThrow(RangeError);
    expect(() => toSafeInteger("9007199254740993")).toThrow(RangeError);
    expect(() => toSafeInteger(2n ** 60n)).toThrow(RangeError);
  });
});

describe("openDatabase on a PGlite folder", () => {
  it("applies the migrations once and keeps the data across reopening", async () => {
    const dir = await mkdtemp(join(tmpdir(), "offpeak-db-"));
    try {
      const first = await openDatabase(dir);
      await first.query(`INSERT INTO models (id, label, context_size, demo) VALUES ($1, $2, $3, $4)`, ["m", "M", 128, false]);
      await first.close();
      const second = await openDatabase(dir);
      const versions = await second.query<{ version: number }>(`SELECT version FROM schema_migrations ORDER BY version`);
      expect(versions.rows.map((r) => r.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
      expect((await second.query(`SELECT id FROM models`)).rows).toEqual([{ id: "m" }]);
      await expect(second.transaction(async (tx) => {
        await tx.query(`INSERT INTO models (id, label, context_size, demo) VALUES ('n', 'N', 1, false)`);
        throw new Error("roll back");
      })).rejects.toThrow("roll back");
      expect((await second.query(`SELECT id FROM models`)).rows).toHaveLength(1);
      await second.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describeOnEachDatabase("the coordinator database", (database) => {
  let db: Database;

  beforeAll(async () => {
    db = await openDatabase(database.target());
  });
  afterAll(async () => {
    await db?.close();
  });

  const allVersions = MIGRATIONS.map((_, i) => i + 1);

  it("records every migration exactly once", async () => {
    const versions = await db.query<{ version: number }>(`SELECT version FROM schema_migrations ORDER BY version`);
    expect(versions.rows.map((r) => r.version)).toEqual(allVersions);
  });

  if (database.kind === "PostgreSQL") {
    it("applies the migrations once when several coordinators open a fresh database at the same time", async () => {
      const url = database.target() as string;
      const admin = await openDatabase(url);
      const fresh = `offpeak_fresh_${randomBytes(4).toString("hex")}`;
      await admin.query(`CREATE DATABASE ${fresh}`);
      const freshUrl = url.replace(/\/[^/]+$/, `/${fresh}`);
      const attempts = await Promise.allSettled([openDatabase(freshUrl), openDatabase(freshUrl), openDatabase(freshUrl)]);
      const opened = attempts.flatMap((a) => (a.status === "fulfilled" ? [a.value] : []));
      try {
        expect(attempts.map((a) => (a.status === "rejected" ? String(a.reason) : "opened"))).toEqual(["opened", "opened", "opened"]);
        const versions = await opened[0]!.query<{ version: number }>(`SELECT version FROM schema_migrations ORDER BY version`);
        expect(versions.rows.map((r) => r.version)).toEqual(allVersions);
        const again = await openDatabase(freshUrl);
        expect((await again.query(`SELECT version FROM schema_migrations`)).rows).toHaveLength(MIGRATIONS.length);
        await again.close();
      } finally {
        await Promise.all(opened.map((d) => d.close()));
        await admin.close();
      }
    });
  }

  if (database.kind === "PostgreSQL") {
    it("fails a transaction whose server connection dies, and carries on with fresh connections", async () => {
      await expect(
        db.transaction(async (tx) => {
          const { rows } = await tx.query<{ pid: number }>(`SELECT pg_backend_pid() AS pid`);
          await db.query(`SELECT pg_terminate_backend($1)`, [rows[0]?.pid]);
          await tx.query(`SELECT 1`);
        }),
      ).rejects.toThrow(/connection/i);
      // Give the dead connection's late events time to arrive: none of them may crash the process.
      await new Promise((r) => setTimeout(r, 100));
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => db.transaction((tx) => tx.query<{ n: number }>(`SELECT $1::int AS n`, [i]))));
      expect(results.map((r) => r.rows[0]?.n)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    });
  }

  it("runs a transaction on one connection and rolls all of it back when it throws", async () => {
    const id = `m_${randomBytes(4).toString("hex")}`;
    await expect(
      db.transaction(async (tx) => {
        await tx.query(`INSERT INTO models (id, label, context_size, demo) VALUES ($1, 'M', 1, false)`, [id]);
        // Only the transaction's own connection can see the row it has not committed yet.
        const seen = await tx.query(`SELECT id FROM models WHERE id = $1`, [id]);
        expect(seen.rows).toEqual([{ id }]);
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    expect((await db.query(`SELECT id FROM models WHERE id = $1`, [id])).rows).toEqual([]);

    await db.transaction((tx) => tx.query(`INSERT INTO models (id, label, context_size, demo) VALUES ($1, 'M', 1, false)`, [id]));
    expect((await db.query(`SELECT id FROM models WHERE id = $1`, [id])).rows).toEqual([{ id }]);
  });

  it("keeps working after a transaction failed inside the database", async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.query(`INSERT INTO accounts (id, kind) VALUES ('bad', 'not-a-kind')`);
      }),
    ).rejects.toThrow();
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => db.transaction((tx) => tx.query<{ n: number }>(`SELECT $1::int AS n`, [i]))));
    expect(results.map((r) => r.rows[0]?.n)).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it("reads BIGINT money exactly up to the largest safe integer and refuses beyond it", async () => {
    const ledger = new Ledger(db);
    const big = `consumer:big_${randomBytes(4).toString("hex")}`;
    const huge = `consumer:huge_${randomBytes(4).toString("hex")}`;
    await db.transaction(async (tx) => {
      await ensureAccount(tx, big);
      await ensureAccount(tx, huge);
      await tx.query(`UPDATE balances SET balance_micro_usd = $2, reserved_micro_usd = $3 WHERE account_id = $1`, [big, "9007199254740991", "4294967296"]);
      await tx.query(`UPDATE balances SET balance_micro_usd = $2 WHERE account_id = $1`, [huge, "9007199254740993"]);
    });
    expect(await ledger.balance(big)).toEqual({
      balanceMicroUsd: 9_007_199_254_740_991,
      reservedMicroUsd: 4_294_967_296,
      availableMicroUsd: 9_007_199_254_740_991 - 4_294_967_296,
    });
    await expect(ledger.balance(huge)).rejects.toThrow(RangeError);
  });

  it("never lets concurrent reservations spend more than the balance", async () => {
    const ledger = new Ledger(db);
    const { id } = await createApiKey(db, 1_000, "race");
    const account = consumerAccountId(id);
    const granted = await Promise.all(
      Array.from({ length: 10 }, () => ledger.reserveJob({ jobId: `job_${randomUUID()}`, consumerAccountId: account, model: "m", amountMicroUsd: 300 })),
    );
    expect(granted.filter(Boolean)).toHaveLength(3);
    expect(await ledger.balance(account)).toEqual({ balanceMicroUsd: 1_000, reservedMicroUsd: 900, availableMicroUsd: 100 });
  });

  it("credits a job once when many settlements of it race", async () => {
    const ledger = new Ledger(db);
    const node = "0x00000000000000000000000000000000000000cc";
    const { id } = await createApiKey(db, 10_000, "settle race");
    const account = consumerAccountId(id);
    const jobId = `job_${randomUUID()}`;
    expect(await ledger.reserveJob({ jobId, consumerAccountId: account, model: "m", amountMicroUsd: 5_000 })).toBe(true);
    const receipt = { jobId, model: "m", promptTokens: 3, completionTokens: 4, outputHash: `0x${"cd".repeat(32)}`, signature: "0x1234" } as const;
    const input = { jobId, nodeAddress: node, receipt, finishReason: "stop" as const, costMicroUsd: 1_000, feeBps: 500 };
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => ledger.settleJob(input)));
    const settled = results.filter((r) => r.status === "fulfilled" && r.value.status === "settled");
    expect(settled).toHaveLength(1);
    expect(await ledger.balance(nodePendingAccountId(node))).toMatchObject({ balanceMicroUsd: 950 });
    expect(await ledger.balance(account)).toEqual({ balanceMicroUsd: 9_000, reservedMicroUsd: 0, availableMicroUsd: 9_000 });
    const sum = await db.query<{ n: unknown; s: unknown }>(`SELECT COUNT(*) AS n, SUM(amount_micro_usd) AS s FROM ledger_entries WHERE job_id = $1`, [jobId]);
    expect([toSafeInteger(sum.rows[0]?.n), toSafeInteger(sum.rows[0]?.s)]).toEqual([3, 0]);
  });
});
