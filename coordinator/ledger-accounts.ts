/**
 * The ledger's accounts and its one primitive: a balanced transfer, posted as entries that move
 * their accounts' balances in the caller's transaction.
 */
import type { Queryable } from "./db";

/** The account that collects the platform fee. */
export const PLATFORM_ACCOUNT = "platform";
/** The outside world: credit bought by consumers comes from here (its balance goes negative). */
export const DEPOSITS_ACCOUNT = "external:deposits";

/** A node's available account, by its wallet address: what it can withdraw. */
export function nodeAccountId(address: string): string {
  return `node:${address.toLowerCase()}`;
}

/** The ledger account of a consumer, by its API key id. */
export function consumerAccountId(keyId: string): string {
  return `consumer:${keyId}`;
}

function accountKind(accountId: string): "consumer" | "node" | "platform" | "external" {
  if (accountId.startsWith("consumer:")) return "consumer";
  // node:, node-pending: and node-held: are the three accounts of one node.
  if (/^node(-pending|-held)?:/.test(accountId)) return "node";
  if (accountId.startsWith("external:")) return "external";
  return "platform";
}

/** One leg of a transfer: a signed amount on an account. */
export interface LedgerLeg {
  readonly accountId: string;
  readonly amountMicroUsd: number;
  readonly kind: string;
}

/** Creates the account and its balance row when they do not exist yet. */
export async function ensureAccount(tx: Queryable, accountId: string): Promise<void> {
  await tx.query(`INSERT INTO accounts (id, kind) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, [accountId, accountKind(accountId)]);
  await tx.query(`INSERT INTO balances (account_id) VALUES ($1) ON CONFLICT (account_id) DO NOTHING`, [accountId]);
}

/** One balanced transfer: its id, the job it belongs to (if any) and its legs. */
export interface Transfer {
  readonly txnId: string;
  readonly jobId: string | null;
  readonly legs: readonly LedgerLeg[];
}

/**
 * Records one balanced transfer inside the caller's transaction: the legs must sum to zero;
 * each leg becomes a ledger entry and moves its account's balance by the same amount.
 */
export async function postTransfer(
  tx: Queryable,
  txnId: string,
  jobId: string | null,
  legs: readonly LedgerLeg[],
  at: Date,
): Promise<void> {
  await postTransfers(tx, [{ txnId, jobId, legs }], at);
}

/**
 * Records balanced transfers inside the caller's transaction (see {@link postTransfer}). Three
 * statements whatever the number of transfers and legs (accounts, entries, balances): settlements
 * are on every job's path. Each account's balance moves once, by the sum of its legs, in the
 * order the transfers first name the accounts, so callers that name accounts in one order lock
 * them in that order.
 */
export async function postTransfers(tx: Queryable, transfers: readonly Transfer[], at: Date): Promise<void> {
  const entries: { txnId: string; jobId: string | null; leg: LedgerLeg }[] = [];
  const byAccount = new Map<string, number>();
  for (const { txnId, jobId, legs } of transfers) {
    let sum = 0;
    for (const leg of legs) {
      if (!Number.isSafeInteger(leg.amountMicroUsd)) throw new RangeError(`amount must be a safe integer, got ${leg.amountMicroUsd}`);
      sum += leg.amountMicroUsd;
    }
    if (sum !== 0) throw new Error(`unbalanced transfer ${txnId}: legs sum to ${sum}`);
    for (const leg of legs) {
      if (leg.amountMicroUsd === 0) continue;
      entries.push({ txnId, jobId, leg });
      byAccount.set(leg.accountId, (byAccount.get(leg.accountId) ?? 0) + leg.amountMicroUsd);
    }
  }
  if (entries.length === 0) return;
  const accounts = [...byAccount.keys()];
  await tx.query(`INSERT INTO accounts (id, kind) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (id) DO NOTHING`, [
    accounts,
    accounts.map(accountKind),
  ]);
  await tx.query(
    `INSERT INTO ledger_entries (txn_id, account_id, amount_micro_usd, job_id, kind, created_at)
     SELECT t, a, m, j, k, $6 FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[]) AS e(t, a, m, j, k)`,
    [
      entries.map((e) => e.txnId),
      entries.map((e) => e.leg.accountId),
      entries.map((e) => e.leg.amountMicroUsd),
      entries.map((e) => e.jobId),
      entries.map((e) => e.leg.kind),
      at.toISOString(),
    ],
  );
  await tx.query(
    `INSERT INTO balances (account_id, balance_micro_usd)
     SELECT a, m FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS moves(a, m, n) ORDER BY n
     ON CONFLICT (account_id) DO UPDATE SET balance_micro_usd = balances.balance_micro_usd + EXCLUDED.balance_micro_usd`,
    [accounts, accounts.map((a) => byAccount.get(a) ?? 0)],
  );
}

/** Start of the UTC day that `at` falls in. */
export function startOfUtcDay(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
}
