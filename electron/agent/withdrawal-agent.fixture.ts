/**
 * Test support for the agent's withdrawals: a real coordinator (PGlite in memory) that pays
 * withdrawals on a local test chain's terms, and the address the tests withdraw to.
 */
import { startCoordinatorWithWithdrawals, testWithdrawalTerms, type WithdrawalCoordinator } from "../../tests/support/withdrawal-fixtures";

export { WITHDRAWAL_DESTINATION, type WithdrawalCoordinator } from "../../tests/support/withdrawal-fixtures";

/** The terms of a local test chain: a $0.05 fee, $1 at the least, $100 a day. */
export const TEST_WITHDRAWAL_TERMS = testWithdrawalTerms({ feeMicroUsd: 50_000, dailyLimitMicroUsd: 100_000_000 });

/** Starts a coordinator on a fresh in-memory database with {@link TEST_WITHDRAWAL_TERMS}. */
export function startWithdrawalCoordinator(): Promise<WithdrawalCoordinator> {
  return startCoordinatorWithWithdrawals(TEST_WITHDRAWAL_TERMS);
}
