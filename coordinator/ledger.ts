/**
 * The double-entry ledger: consumer credit, reservations for jobs in flight, settlement of a job
 * from its verified receipt (consumer charged, node credited pending, platform fee) exactly once,
 * and the node's credits becoming available after their verification window (node-credits.ts).
 */
import { toSafeInteger, type Database } from "./db";
import { GroupCommit } from "./group-commit";
import { reserveJobsTogether, type ReserveInput } from "./reserve-batch";
import { settleJobsTogether, type SettleInput, type SettleResult } from "./settle-batch";
import {
  holdNode,
  liftHold,
  nodeEarningsIn,
  nodeHold,
  nodeTotalsIn,
  releaseDueCredits,
  type NodeEarnings,
  type ReleaseResult,
} from "./node-credits";
import { refundNodeCredits, type RefundResult } from "./job-refunds";

export {
  consumerAccountId,
  DEPOSITS_ACCOUNT,
  ensureAccount,
  nodeAccountId,
  PLATFORM_ACCOUNT,
  postTransfer,
  startOfUtcDay,
  type LedgerLeg,
} from "./ledger-accounts";
export { nodeHeldAccountId, nodePendingAccountId, type NodeEarnings, type ReleaseResult } from "./node-credits";
export type { RefundResult } from "./job-refunds";
export type { SettleInput, SettleResult } from "./settle-batch";

/** An account's money: what it holds, what its jobs in flight hold back, and the rest. */
export interface AccountBalance {
  readonly balanceMicroUsd: number;
  readonly reservedMicroUsd: number;
  readonly availableMicroUsd: number;
}

/** Time a node's credit stays pending before it becomes available, unless configured: 24 h. */
export const DEFAULT_VERIFICATION_WINDOW_MS = 24 * 3_600_000;

/** How the ledger treats node credits. */
export interface LedgerOptions {
  /** Time a credit stays pending (spot checks may still fail the node) before it is available. */
  readonly verificationWindowMs?: number;
}

/** Ledger operations on the coordinator's database. */
export class Ledger {
  readonly verificationWindowMs: number;
  private readonly settlements: GroupCommit<SettleInput, SettleResult>;
  /** Jobs that start at the same moment are opened in one statement (reserve-batch.ts). */
  private readonly reservations: GroupCommit<ReserveInput, boolean>;

  constructor(
    private readonly db: Database,
    private readonly clock: () => Date = () => new Date(),
    options: LedgerOptions = {},
  ) {
    const window = options.verificationWindowMs ?? DEFAULT_VERIFICATION_WINDOW_MS;
    if (!Number.isSafeInteger(window) || window < 0) throw new RangeError(`verificationWindowMs must be a non-negative integer, got ${window}`);
    this.verificationWindowMs = window;
    this.reservations = new GroupCommit((inputs) => reserveJobsTogether(this.db, inputs, this.clock()));
    this.settlements = new GroupCommit((inputs) => settleJobsTogether(this.db, inputs, { at: this.clock(), verificationWindowMs: this.verificationWindowMs }));
  }

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
  async reserveJob(input: ReserveInput): Promise<boolean> {
    return this.reservations.submit(input);
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

  /** Ledger writes so far and the jobs they carried, per operation (jobs started at once share one). */
  writeStats(): Record<"reserve" | "settle", { batches: number; items: number }> {
    return { reserve: this.reservations.stats(), settle: this.settlements.stats() };
  }

  /**
   * Settles a job: charges the consumer `costMicroUsd` (releasing its reservation), credits the
   * node its share (pending, or held while the node is on hold) and the platform its fee,
   * records the receipt. Jobs that settle at the same moment share one transaction
   * (settle-batch.ts). A job is settled at most once: a second call (even a concurrent one)
   * moves nothing.
   */
  async settleJob(input: SettleInput): Promise<SettleResult> {
    return this.settlements.submit(input);
  }

  /** A node's earnings: available, pending, held, withdrawn, lifetime, today. */
  async nodeEarnings(address: string): Promise<NodeEarnings> {
    return nodeEarningsIn(this.db, address, this.clock());
  }

  /** A node's balance not yet withdrawn (available + pending + held) and today's earnings. */
  async nodeTotals(address: string): Promise<{ balanceMicroUsd: number; todayMicroUsd: number }> {
    return nodeTotalsIn(this.db, address, this.clock());
  }

  /**
   * Makes up to `limit` credits past their verification window available (see
   * {@link releaseDueCredits}); the coordinator runs it periodically.
   */
  async releaseDueCredits(limit = 1_000): Promise<ReleaseResult> {
    return releaseDueCredits(this.db, this.clock(), limit);
  }

  /** Holds a node's pending credits (quarantine): they stop becoming available until released. */
  async holdPending(address: string, reason: string): Promise<{ heldMicroUsd: number; credits: number }> {
    return holdNode(this.db, address, reason, this.clock());
  }

  /** Lifts a node's hold; false when it was not on hold. */
  async releaseHold(address: string): Promise<boolean> {
    return liftHold(this.db, address, this.clock());
  }

  /**
   * Refunds the consumers of every job part the node served whose credit is still pending or
   * held (the node was caught cheating): each gets back what it paid for that part, the node's
   * credit and the platform's fee reversed. Credits already available are not clawed back.
   * Idempotent: a part is refunded once, however often this runs.
   */
  async refundNodeJobs(address: string, reason: string): Promise<RefundResult> {
    return refundNodeCredits(this.db, { address, cause: "quarantine", reason, at: this.clock() });
  }

  /** Refunds one job part the node served (a re-run disagreed with it), if its credit is still pending or held. */
  async refundJob(jobId: string, address: string, reason: string): Promise<RefundResult> {
    return refundNodeCredits(this.db, { address, cause: "rerun", reason, at: this.clock(), jobIds: [jobId] });
  }

  /** The node's hold and its reason, or null. */
  async holdOf(address: string): Promise<{ reason: string; since: Date } | null> {
    return nodeHold(this.db, address);
  }
}
