/**
 * Test support for the agent's withdrawals: a real coordinator (PGlite in memory) that pays
 * withdrawals on a local test chain's terms, and the address the tests withdraw to.
 */
import { startCoordinator, type RunningCoordinator } from "../../coordinator/coordinator";
import { openDatabase, type Database } from "../../coordinator/db";
import type { WithdrawalTerms } from "../../shared/withdrawal";

/** The terms of a local test chain: a $0.05 fee, $1 at the least, $100 a day. */
export const TEST_WITHDRAWAL_TERMS: WithdrawalTerms = {
  chainId: 1337,
  tokenAddress: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  tokenSymbol: "TUSD",
  tokenDecimals: 6,
  feeMicroUsd: 50_000,
  minimumMicroUsd: 1_000_000,
  dailyLimitMicroUsd: 100_000_000,
  confirmations: 1,
};

/** Where the tests' withdrawals go. */
export const WITHDRAWAL_DESTINATION = "0x90F8bf6A479f320ead074411a4B0e7944Ea8c9C1";

/** A coordinator that takes withdrawals, and its database. */
export interface WithdrawalCoordinator {
  readonly db: Database;
  readonly coordinator: RunningCoordinator;
  close(): Promise<void>;
}

/** Starts a coordinator on a fresh in-memory database with {@link TEST_WITHDRAWAL_TERMS}. */
export async function startWithdrawalCoordinator(): Promise<WithdrawalCoordinator> {
  const db = await openDatabase(undefined);
  const coordinator = await startCoordinator({ db, adminToken: "admin-token-for-tests", withdrawals: { terms: TEST_WITHDRAWAL_TERMS } }).catch(async (error: unknown) => {
    await db.close();
    throw error;
  });
  return {
    db,
    coordinator,
    async close() {
      await coordinator.close();
      await db.close();
    },
  };
}
