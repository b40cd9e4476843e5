/**
 * Test harness: a coordinator on an in-memory PGlite with a fixed test price, plus helpers to
 * read balances and wait for conditions (bounded).
 */
import { openDatabase, type Database } from "../db";
import { startCoordinator, type CoordinatorOptions, type RunningCoordinator } from "../coordinator";
import { consumerAccountId, Ledger } from "../ledger";
import type { ModelPrice } from "../../shared/money";

/** 2 µUSD per prompt token, 5 µUSD per completion token: big enough to see every token. */
export const TEST_PRICE: ModelPrice = { inputMicroUsdPerMTok: 2_000_000, outputMicroUsdPerMTok: 5_000_000 };
export const TEST_ADMIN_TOKEN = "test-admin-token-0123456789abcdef";
/**
 * Round trips on a loaded test machine jump by hundreds of milliseconds, so by default tests
 * route as if every node were equally near; a test of latency routing sets its own tolerance.
 */
export const HARNESS_LATENCY_TOLERANCE_MS = 60_000;

/** A coordinator under test and its database. */
export interface TestCoordinator {
  readonly coordinator: RunningCoordinator;
  readonly db: Database;
  readonly ledger: Ledger;
  consumerBalance(keyId: string): Promise<{ balanceMicroUsd: number; reservedMicroUsd: number }>;
  /** What the node earned and has not withdrawn: available + pending + held. */
  nodeBalance(address: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * Starts a coordinator on a fresh in-memory database, or on `database` (a PostgreSQL URL, see
 * tests/support/database-suites.ts) when given.
 */
export async function startTestCoordinator(opts: Partial<CoordinatorOptions> = {}, database?: string): Promise<TestCoordinator> {
  const db = await openDatabase(database);
  // Verification is off unless a test turns it on: its checks are jobs, which other tests count.
  const coordinator = await startCoordinator({ db, adminToken: TEST_ADMIN_TOKEN, defaultPrice: TEST_PRICE, verification: false, latencyToleranceMs: HARNESS_LATENCY_TOLERANCE_MS, ...opts });
  const ledger = new Ledger(db);
  return {
    coordinator,
    db,
    ledger,
    consumerBalance: (keyId) => ledger.balance(consumerAccountId(keyId)),
    nodeBalance: async (address) => (await ledger.nodeTotals(address)).balanceMicroUsd,
    async close() {
      await coordinator.close();
      await db.close();
    },
  };
}

/** Polls `check` every 10 ms until it is true, failing after `timeoutMs`. */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 3_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}
