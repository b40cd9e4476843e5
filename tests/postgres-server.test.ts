/**
 * The throwaway PostgreSQL server the database tests use: it starts, serves its database, stops
 * cleanly, and says how to install PostgreSQL when it is missing.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { findPostgresBinDir, POSTGRES_INSTALL_HINT, postgresSkipReason, startThrowawayPostgres } from "./support/postgres";

async function tryQuery(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on("error", () => {});
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

describe("without PostgreSQL installed", () => {
  it("finds no server programs and fails with the install command on Linux", async () => {
    const empty = await mkdtemp(join(tmpdir(), "offpeak-nopg-"));
    try {
      const env = { PATH: empty };
      expect(findPostgresBinDir(env, join(empty, "none"))).toBeNull();
      expect(postgresSkipReason("linux", false, () => null)).toBeNull();
      await expect(startThrowawayPostgres({ binDir: empty })).rejects.toThrow(/apt-get install postgresql/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it("is skipped with the install hint on a macOS development machine, but never in CI", () => {
    expect(postgresSkipReason("darwin", false, () => null)).toBe(POSTGRES_INSTALL_HINT);
    expect(postgresSkipReason("win32", false, () => null)).toBe(POSTGRES_INSTALL_HINT);
    expect(postgresSkipReason("darwin", true, () => null)).toBeNull();
    expect(postgresSkipReason("darwin", false, () => "/opt/homebrew/bin")).toBeNull();
  });
});

const skip = postgresSkipReason();

describe.skipIf(skip !== null)(`throwaway PostgreSQL server${skip ? ` (skipped: ${skip})` : ""}`, () => {
  it("serves its own database on 127.0.0.1 as the postgres superuser, and is gone after stop", async () => {
    const [a, b] = await Promise.all([startThrowawayPostgres(), startThrowawayPostgres({ database: "other_db" })]);
    try {
      expect(a.url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/offpeak_test$/);
      expect(b.url).toMatch(/\/other_db$/);
      expect(new URL(a.url).port).not.toBe(new URL(b.url).port);
      expect(await tryQuery(a.url, "SELECT current_database() AS db, current_user AS who, current_setting('fsync') AS fsync")).toEqual([
        { db: "offpeak_test", who: "postgres", fsync: "off" },
      ]);
    } finally {
      await b.stop();
    }
    const rows = await tryQuery(a.url, "SHOW data_directory");
    const dataDir = String(rows[0]?.data_directory);
    expect(existsSync(dataDir)).toBe(true);
    await a.stop();
    await a.stop(); // stopping twice is harmless
    expect(existsSync(dataDir)).toBe(false);
    await expect(tryQuery(a.url, "SELECT 1")).rejects.toThrow();
  });
});
