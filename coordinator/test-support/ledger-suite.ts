/**
 * Test support: a database and a {@link Ledger} on it for one suite of tests (see
 * tests/support/database-suites.ts), opened before the suite's tests and closed after them.
 */
import { afterAll, beforeAll } from "vitest";
import type { DatabaseTarget } from "../../tests/support/database-suites";
import { openDatabase, type Database } from "../db";
import { Ledger, type LedgerOptions } from "../ledger";

/** The suite's database and ledger; valid from the suite's beforeAll on. */
export interface LedgerBooks {
  readonly db: Database;
  readonly ledger: Ledger;
}

/** Opens `database` and a ledger that reads the time from `clock` (tests move it) for the suite declaring it. */
export function ledgerForSuite(database: DatabaseTarget, clock: () => Date, options: LedgerOptions = {}): LedgerBooks {
  let opened: { db: Database; ledger: Ledger } | undefined;
  beforeAll(async () => {
    const db = await openDatabase(database.target());
    opened = { db, ledger: new Ledger(db, clock, options) };
  });
  afterAll(async () => {
    await opened?.db.close();
  });
  const books = (): { db: Database; ledger: Ledger } => {
    if (!opened) throw new Error(`the ${database.kind} database of this suite is not open`);
    return opened;
  };
  return {
    get db() {
      return books().db;
    },
    get ledger() {
      return books().ledger;
    },
  };
}

/** A generator of distinct node addresses, counting up from `first`. */
export function nodeAddresses(first: number): () => string {
  let serial = first;
  return () => `0x${(serial++).toString(16).padStart(40, "0")}`;
}
