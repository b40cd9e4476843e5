import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase, toSafeInteger } from "./db";
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
