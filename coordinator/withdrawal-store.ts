/**
 * The withdrawals table and its money: a withdrawal row is written in the same transaction as
 * its ledger debit, and a failed one is refunded in the same transaction as its status change,
 * so the ledger and the table never disagree and nothing is refunded twice.
 */
import type { WithdrawalStatus, WithdrawalView } from "../shared/withdrawal";
import { toSafeInteger, type Queryable } from "./db";
import { nodeAccountId, PLATFORM_ACCOUNT, postTransfer } from "./ledger";

/** The outside world: what nodes withdraw leaves the ledger through here (its balance grows). */
export const WITHDRAWALS_ACCOUNT = "external:withdrawals";

/** A withdrawal as stored. */
export interface WithdrawalRow {
  readonly id: string;
  readonly node_address: string;
  readonly nonce: string;
  readonly to_address: string;
  readonly amount_micro_usd: unknown;
  readonly fee_micro_usd: unknown;
  readonly token_amount: string;
  readonly chain_id: unknown;
  readonly token_address: string;
  readonly deadline: unknown;
  readonly signature: string;
  readonly status: WithdrawalStatus;
  readonly tx_nonce: unknown;
  readonly tx_hash: string | null;
  readonly raw_tx: string | null;
  readonly failure_reason: string | null;
  readonly created_at: Date | string;
  readonly updated_at: Date | string;
}

/** The owner's view of a stored withdrawal. */
export function withdrawalView(row: WithdrawalRow): WithdrawalView {
  return {
    id: row.id,
    to: row.to_address,
    amountMicroUsd: toSafeInteger(row.amount_micro_usd),
    feeMicroUsd: toSafeInteger(row.fee_micro_usd),
    status: row.status,
    txHash: row.tx_hash,
    failureReason: row.failure_reason,
    chainId: toSafeInteger(row.chain_id),
    createdAt: new Date(row.created_at).getTime(),
    updatedAt: new Date(row.updated_at).getTime(),
  };
}

/** What a new withdrawal stores. */
export interface NewWithdrawal {
  readonly id: string;
  readonly nodeAddress: string;
  readonly nonce: string;
  readonly to: string;
  readonly amountMicroUsd: number;
  readonly feeMicroUsd: number;
  readonly tokenAmount: bigint;
  readonly chainId: number;
  readonly tokenAddress: string;
  readonly deadline: number;
  readonly signature: string;
}

/**
 * Writes the withdrawal and its debit inside the caller's transaction: the node's account gives
 * amount + fee; the amount leaves through {@link WITHDRAWALS_ACCOUNT}, the fee goes to the platform.
 */
export async function insertWithdrawal(tx: Queryable, w: NewWithdrawal, at: Date): Promise<WithdrawalRow> {
  const { rows } = await tx.query<WithdrawalRow>(
    `INSERT INTO withdrawals (id, node_address, nonce, to_address, amount_micro_usd, fee_micro_usd, token_amount, chain_id, token_address,
       deadline, signature, status, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'requested', $12, $12) RETURNING *`,
    [
      w.id,
      w.nodeAddress.toLowerCase(),
      w.nonce.toLowerCase(),
      w.to,
      w.amountMicroUsd,
      w.feeMicroUsd,
      w.tokenAmount.toString(),
      w.chainId,
      w.tokenAddress,
      w.deadline,
      w.signature,
      at.toISOString(),
    ],
  );
  const node = nodeAccountId(w.nodeAddress);
  await postTransfer(
    tx,
    `withdrawal:${w.id}`,
    null,
    [
      { accountId: node, amountMicroUsd: -w.amountMicroUsd, kind: "withdrawal" },
      { accountId: WITHDRAWALS_ACCOUNT, amountMicroUsd: w.amountMicroUsd, kind: "withdrawal" },
      { accountId: node, amountMicroUsd: -w.feeMicroUsd, kind: "withdrawal_fee" },
      { accountId: PLATFORM_ACCOUNT, amountMicroUsd: w.feeMicroUsd, kind: "withdrawal_fee" },
    ],
    at,
  );
  return rows[0] as WithdrawalRow;
}

/**
 * Marks a withdrawal failed (only from one of `from`) and gives the node back the amount and
 * the fee. Returns false, moving nothing, when the withdrawal was not in one of those states.
 */
export async function failAndRefund(tx: Queryable, id: string, reason: string, from: readonly WithdrawalStatus[], at: Date): Promise<boolean> {
  const { rows } = await tx.query<WithdrawalRow>(
    `UPDATE withdrawals SET status = 'failed', failure_reason = $2, updated_at = $3 WHERE id = $1 AND status = ANY($4::text[]) RETURNING *`,
    [id, reason.slice(0, 500), at.toISOString(), [...from]],
  );
  const row = rows[0];
  if (!row) return false;
  const node = nodeAccountId(row.node_address);
  const amount = toSafeInteger(row.amount_micro_usd);
  const fee = toSafeInteger(row.fee_micro_usd);
  await postTransfer(
    tx,
    `withdrawal-refund:${id}`,
    null,
    [
      { accountId: WITHDRAWALS_ACCOUNT, amountMicroUsd: -amount, kind: "withdrawal_refund" },
      { accountId: node, amountMicroUsd: amount, kind: "withdrawal_refund" },
      { accountId: PLATFORM_ACCOUNT, amountMicroUsd: -fee, kind: "withdrawal_fee_refund" },
      { accountId: node, amountMicroUsd: fee, kind: "withdrawal_fee_refund" },
    ],
    at,
  );
  return true;
}

/** A node's spendable balance: its available account less what its jobs hold back. */
export async function availableOf(q: Queryable, nodeAddress: string, lock: boolean): Promise<number> {
  const { rows } = await q.query<{ b: unknown; r: unknown }>(
    `SELECT balance_micro_usd AS b, reserved_micro_usd AS r FROM balances WHERE account_id = $1${lock ? " FOR UPDATE" : ""}`,
    [nodeAccountId(nodeAddress)],
  );
  return Math.max(0, toSafeInteger(rows[0]?.b) - toSafeInteger(rows[0]?.r));
}

/** What a node withdrew since `since` (failed withdrawals, refunded, do not count). */
export async function withdrawnSince(q: Queryable, nodeAddress: string, since: Date): Promise<number> {
  const { rows } = await q.query<{ s: unknown }>(
    `SELECT COALESCE(SUM(amount_micro_usd), 0) AS s FROM withdrawals WHERE node_address = $1 AND status <> 'failed' AND created_at >= $2`,
    [nodeAddress.toLowerCase(), since.toISOString()],
  );
  return toSafeInteger(rows[0]?.s);
}
