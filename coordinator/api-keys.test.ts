import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "./db";
import { createApiKey, findApiKey, revokeApiKey, updateApiKey } from "./api-keys";

/** The database with a count of the statements that read api_keys. */
function counting(db: Database): { db: Database; keyReads: () => number } {
  let reads = 0;
  const wrapped: Database = {
    query: (sql, params) => {
      if (/FROM api_keys WHERE key_hash/.test(sql)) reads++;
      return db.query(sql, params);
    },
    transaction: (fn) => db.transaction(fn),
    close: () => db.close(),
  };
  return { db: wrapped, keyReads: () => reads };
}

describe("api key lookup", () => {
  let raw: Database;
  beforeEach(async () => {
    raw = await openDatabase(undefined);
  });
  afterEach(async () => {
    await raw.close();
  });

  it("asks the database once for a key used again and again", async () => {
    const { db, keyReads } = counting(raw);
    const { id, key } = await createApiKey(db, 1_000, "k", new Date());
    for (let i = 0; i < 5; i++) expect(await findApiKey(db, key)).toMatchObject({ id, ratePerMinute: null });
    expect(keyReads()).toBe(1);
  });

  it("refuses a key at once after it is revoked, and sees a new rate at once", async () => {
    const { db, keyReads } = counting(raw);
    const { id, key } = await createApiKey(db, 1_000, "k", new Date());
    expect(await findApiKey(db, key)).not.toBeNull();
    expect(await updateApiKey(db, id, { ratePerMinute: 7 })).toBe(true);
    expect(await findApiKey(db, key)).toMatchObject({ ratePerMinute: 7 });
    expect(await revokeApiKey(db, id, new Date())).toBe(true);
    expect(await findApiKey(db, key)).toBeNull();
    expect(keyReads()).toBe(3);
  });

  it("does not remember unknown keys, so a key created later is found", async () => {
    expect(await findApiKey(raw, "sk-offpeak-unknown")).toBeNull();
    expect(await findApiKey(raw, "not-a-key")).toBeNull();
    const { key } = await createApiKey(raw, 1, undefined, new Date());
    expect(await findApiKey(raw, key)).not.toBeNull();
  });
});
