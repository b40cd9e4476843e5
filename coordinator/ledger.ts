/**
 * The double-entry ledger: consumer credit, reservations for jobs in flight, settlement of a job
 * from its verified receipt (consumer charged, node credited, platform fee) exactly once.
 */
import type { Receipt, FinishReason } from "../shared/protocol";
import { splitCost } from "../shared/money";
import { toSafeInteger, type Database, type Queryable } from "./db";

/** The account that collects the platform fee. */
export const PLATFORM_ACCOUNT = "platform";
/** The outside world: credit bought by consumers comes from here (its balance goes negative). */
export const DEPOSITS_ACCOUNT = "external:deposits";

/** The ledger account of a node, by its wallet address. */
export function nodeAccountId(address: string): string {
  return `node:${address.toLowerCase()}`;
}

/** The ledger account of a consumer, by its API key id. */
export function consumerAccountId(keyId: string): string {
  return `consumer:${keyId}`;
}

function accountKind(accountId: string): "consumer" | "node" | "platform" | "external" {
  if (accountId.startsWith("consumer:")) return "consumer";
  if (accountId.startsWith("node:")) return "node";
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
  let sum = 0;
  for (const leg of legs) {
    if (!Number.isSafeInteger(leg.amountMicroUsd)) throw new RangeError(`amount must be a safe integer, got ${leg.amountMicroUsd}`);
    sum += leg.amountMicroUsd;
  }
  if (sum !== 0) throw new Error(`unbalanced transfer ${txnId}: legs sum to ${sum}`);
  for (const leg of legs) {
    if (leg.amountMicroUsd === 0) continue;
    await ensureAccount(tx, leg.accountId);
    await tx.query(
      `INSERT INTO ledger_entries (txn_id, account_id, amount_micro_usd, job_id, kind, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
      [txnId, leg.accountId, leg.amountMicroUsd, jobId, leg.kind, at.toISOString()],
    );
    await tx.query(`UPDATE balances SET balance_micro_usd = balance_micro_usd + $2 WHERE account_id = $1`, [
      leg.accountId,
      leg.amountMicroUsd,
    ]);
  }
}

/** An account's money: what it holds, what its jobs in flight hold back, and the rest. */
export interface AccountBalance {
  readonly balanceMicroUsd: number;
  readonly reservedMicroUsd: number;
  readonly availableMicroUsd: number;
}

/** What settling a job did. */
export type SettleResult =
  | {
      readonly status: "settled";
      readonly costMicroUsd: number;
      readonly nodeMicroUsd: number;
      readonly feeMicroUsd: number;
      readonly nodeBalanceMicroUsd: number;
      readonly nodeTodayMicroUsd: number;
    }
  /** The job was already settled, failed or disputed: nothing was moved. */
  | { readonly status: "already_closed" };

/** What a settlement needs: the verified receipt, who sent it and the cost it was priced at. */
export interface SettleInput {
  readonly jobId: string;
  readonly nodeAddress: string;
  readonly receipt: Receipt;
  readonly finishReason: FinishReason;
  readonly costMicroUsd: number;
  readonly feeBps: number;
}

/** Start of the UTC day that `at` falls in. */
export function startOfUtcDay(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
}

/** Ledger operations on the coordinator's database. */
export class Ledger {
  constructor(
    private readonly db: Database,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** The balance of an account (zeros for an account that does not exist). */
  async balance(accountId: string): Promise<AccountBalance> {
    const { rows } = await this.db.query<{ b: unknown; r: unknown }>(
      `SELECT balance_micro_usd AS b, reserved_micro_usd AS r FROM balances WHERE account_id = $1`,
      [accountId],
    );
    const balanceMicroUsd = toSafeInteger(rows[0]?.b);
    const reservedMicroUsd = toSafeInteger(rows[0]?.r);
    return { balanceMicroUsd, reservedMicroUsd, availableMicroUsd: balanceMicroUsd - reservedMicroUsd };
  }

  /**
   * Opens a job and holds back its worst-case cost from the consumer's available balance.
   * Returns false (and opens nothing) when the consumer cannot cover it.
   */
  async reserveJob(input: { jobId: string; consumerAccountId: string; model: string; amountMicroUsd: number }): Promise<boolean> {
    if (!Number.isSafeInteger(input.amountMicroUsd) || input.amountMicroUsd < 0) throw new RangeError("reservation must be a non-negative safe integer");
    return this.db.transaction(async (tx) => {
      const held = await tx.query(
        `UPDATE balances SET reserved_micro_usd = reserved_micro_usd + $2
         WHERE account_id = $1 AND balance_micro_usd - reserved_micro_usd >= $2 RETURNING account_id`,
        [input.consumerAccountId, input.amountMicroUsd],
      );
      if (held.rows.length === 0) return false;
      await tx.query(
        `INSERT INTO jobs (id, consumer_account_id, model, status, reserved_micro_usd, created_at) VALUES ($1, $2, $3, 'running', $4, $5)`,
        [input.jobId, input.consumerAccountId, input.model, input.amountMicroUsd, this.clock().toISOString()],
      );
      return true;
    });
  }

  /**
   * Closes a running job without moving money (failed, disputed receipt, abandoned) and gives
   * the consumer its reservation back. Returns false when the job was not running.
   */
  async releaseJob(jobId: string, status: "failed" | "disputed" | "abandoned", detail: string, nodeAddress?: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ account: string; reserved: unknown }>(
        `UPDATE jobs SET status = $2, detail = $3, node_address = $4, finished_at = $5
         WHERE id = $1 AND status = 'running' RETURNING consumer_account_id AS account, reserved_micro_usd AS reserved`,
        [jobId, status, detail.slice(0, 500), nodeAddress?.toLowerCase() ?? null, this.clock().toISOString()],
      );
      const row = rows[0];
      if (!row) return false;
      await tx.query(`UPDATE balances SET reserved_micro_usd = reserved_micro_usd - $2 WHERE account_id = $1`, [
        row.account,
        toSafeInteger(row.reserved),
      ]);
      return true;
    });
  }

  /**
   * Settles a job in one transaction: charges the consumer `costMicroUsd` (releasing its
   * reservation), credits the node its share and the platform its fee, records the receipt.
   * A job is settled at most once: a second call (even a concurrent one) moves nothing.
   */
  async settleJob(input: SettleInput): Promise<SettleResult> {
    const { nodeMicroUsd, feeMicroUsd } = splitCost(input.costMicroUsd, input.feeBps);
    const at = this.clock();
    const node = nodeAccountId(input.nodeAddress);
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ account: string; reserved: unknown }>(
        `UPDATE jobs SET status = 'settled', node_address = $2, cost_micro_usd = $3, prompt_tokens = $4,
           completion_tokens = $5, finished_at = $6
         WHERE id = $1 AND status = 'running' RETURNING consumer_account_id AS account, reserved_micro_usd AS reserved`,
        [input.jobId, input.nodeAddress.toLowerCase(), input.costMicroUsd, input.receipt.promptTokens, input.receipt.completionTokens, at.toISOString()],
      );
      const job = rows[0];
      if (!job) return { status: "already_closed" } as const;
      const reserved = toSafeInteger(job.reserved);
      if (input.costMicroUsd > reserved) throw new Error(`job ${input.jobId} costs ${input.costMicroUsd} but only ${reserved} was reserved`);
      // The primary key on receipts.job_id is the last guard against crediting a job twice.
      await tx.query(
        `INSERT INTO receipts (job_id, node_address, model, prompt_tokens, completion_tokens, output_hash, signature, finish_reason, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          input.jobId,
          input.nodeAddress.toLowerCase(),
          input.receipt.model,
          input.receipt.promptTokens,
          input.receipt.completionTokens,
          input.receipt.outputHash,
          input.receipt.signature,
          input.finishReason,
          at.toISOString(),
        ],
      );
      await tx.query(`UPDATE balances SET reserved_micro_usd = reserved_micro_usd - $2 WHERE account_id = $1`, [job.account, reserved]);
      await ensureAccount(tx, node);
      await postTransfer(
        tx,
        `job:${input.jobId}`,
        input.jobId,
        [
          { accountId: job.account, amountMicroUsd: -input.costMicroUsd, kind: "job_charge" },
          { accountId: node, amountMicroUsd: nodeMicroUsd, kind: "job_earning" },
          { accountId: PLATFORM_ACCOUNT, amountMicroUsd: feeMicroUsd, kind: "job_fee" },
        ],
        at,
      );
      const earnings = await nodeEarningsIn(tx, node, at);
      return {
        status: "settled",
        costMicroUsd: input.costMicroUsd,
        nodeMicroUsd,
        feeMicroUsd,
        nodeBalanceMicroUsd: earnings.balanceMicroUsd,
        nodeTodayMicroUsd: earnings.todayMicroUsd,
      } as const;
    });
  }

  /** A node's balance and what it earned since the start of the current UTC day. */
  async nodeEarnings(address: string): Promise<{ balanceMicroUsd: number; todayMicroUsd: number }> {
    return nodeEarningsIn(this.db, nodeAccountId(address), this.clock());
  }
}

async function nodeEarningsIn(q: Queryable, account: string, at: Date): Promise<{ balanceMicroUsd: number; todayMicroUsd: number }> {
  const balance = await q.query<{ b: unknown }>(`SELECT balance_micro_usd AS b FROM balances WHERE account_id = $1`, [account]);
  const today = await q.query<{ s: unknown }>(
    `SELECT COALESCE(SUM(amount_micro_usd), 0) AS s FROM ledger_entries WHERE account_id = $1 AND kind = 'job_earning' AND created_at >= $2`,
    [account, startOfUtcDay(at).toISOString()],
  );
  return { balanceMicroUsd: Math.max(0, toSafeInteger(balance.rows[0]?.b)), todayMicroUsd: Math.max(0, toSafeInteger(today.rows[0]?.s)) };
}
