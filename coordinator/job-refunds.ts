/**
 * Refunds to consumers for the work of a node caught cheating. Each refunded part of a job gives
 * its consumer back exactly what that part was charged, funded by reversing the node's credit for
 * it (from `node-pending:` or `node-held:`) and the platform's fee for it: a cheat earns the
 * platform nothing either. Only credits still pending or held are reversed; a credit already
 * released to the node's available account (past its verification window, perhaps withdrawn)
 * is not clawed back. Verification jobs (paid by the platform) are not consumer work and stay
 * as they are. Every refund is one balanced transfer plus a `job_refunds` row whose primary key
 * (and unique job + part) refunds a part at most once, however often or concurrently triggered.
 */
import { toSafeInteger, type Database, type Queryable } from "./db";
import { PLATFORM_ACCOUNT, postTransfer } from "./ledger-accounts";
import { lockNode, nodeHeldAccountId, nodePendingAccountId } from "./node-credits";

/** Why a refund was made: the node was quarantined, or a re-run disagreed with this very job. */
export type RefundCause = "quarantine" | "rerun";

/** What one refund run moved. */
export interface RefundResult {
  /** Job parts refunded by this run (0 when everything was refunded already). */
  readonly parts: number;
  /** Consumer jobs those parts belong to. */
  readonly jobs: number;
  readonly consumers: number;
  readonly microUsd: number;
}

/** Which credits of a node to refund. */
export interface RefundInput {
  readonly address: string;
  readonly cause: RefundCause;
  /** Shown to the consumer on its usage lines. */
  readonly reason: string;
  readonly at: Date;
  /** Only these job parts (ids as in `jobs.id`, "<job>" or "<job>.p<n>"); all the node's when absent. */
  readonly jobIds?: readonly string[];
  /** Only credits in these states (default both pending and held). */
  readonly states?: readonly ("pending" | "held")[];
  /**
   * Checked inside the refund's transaction once the node is locked (holds, and anything else
   * that takes the node's lock, cannot change under it): false refunds nothing.
   */
  readonly guard?: (tx: Queryable) => Promise<boolean>;
}

interface CreditRow {
  job_id: string;
  state: "pending" | "held";
  amount: unknown;
  account: string;
  parent: string;
  part: unknown;
}

const NONE: RefundResult = { parts: 0, jobs: 0, consumers: 0, microUsd: 0 };

/** The node's consumer credits still refundable, as of `q` (locking them when `lock`). */
async function refundable(q: Queryable, input: RefundInput, accounts: readonly string[] | null, lock: boolean): Promise<CreditRow[]> {
  const params: unknown[] = [input.address.toLowerCase(), [...(input.states ?? ["pending", "held"])]];
  let where = `c.node_address = $1 AND c.state = ANY($2::text[]) AND j.consumer_account_id LIKE 'consumer:%'`;
  if (input.jobIds) {
    params.push([...input.jobIds]);
    where += ` AND c.job_id = ANY($${params.length}::text[])`;
  }
  if (accounts) {
    params.push([...accounts]);
    where += ` AND j.consumer_account_id = ANY($${params.length}::text[])`;
  }
  const { rows } = await q.query<CreditRow>(
    `SELECT c.job_id, c.state, c.amount_micro_usd AS amount, j.consumer_account_id AS account, COALESCE(j.parent_job_id, j.id) AS parent, j.part
     FROM node_credits c JOIN jobs j ON j.id = c.job_id WHERE ${where} ORDER BY c.job_id${lock ? " FOR UPDATE OF c" : ""}`,
    params,
  );
  return rows;
}

/**
 * Refunds the consumers of a node's pending or held credits (all of them, or `jobIds` only), in
 * one transaction. Locks, in the order settlements take them: the consumers' balances, then the
 * node, then the credits; so a settlement of this node racing the refund waits rather than
 * deadlocks. A credit settled after the refund started is left for the next trigger.
 */
export async function refundNodeCredits(db: Database, input: RefundInput): Promise<RefundResult> {
  const reason = input.reason.trim().slice(0, 500);
  if (reason === "") throw new RangeError("a refund needs a reason");
  if (input.jobIds && input.jobIds.length === 0) return NONE;
  const address = input.address.toLowerCase();
  const candidates = await refundable(db, input, null, false);
  if (candidates.length === 0) return NONE;
  const accounts = [...new Set(candidates.map((c) => c.account))].sort();
  return db.transaction(async (tx) => {
    await tx.query(`SELECT account_id FROM balances WHERE account_id = ANY($1::text[]) ORDER BY account_id FOR UPDATE`, [accounts]);
    await lockNode(tx, address);
    if (input.guard && !(await input.guard(tx))) return NONE;
    const credits = await refundable(tx, input, accounts, true);
    if (credits.length === 0) return NONE;
    const ids = credits.map((c) => c.job_id);
    // What each part was charged and the fee taken on it, from the settlement's own entries.
    const { rows: entries } = await tx.query<{ job_id: string; kind: string; amount: unknown }>(
      `SELECT job_id, kind, amount_micro_usd AS amount FROM ledger_entries WHERE job_id = ANY($1::text[]) AND kind IN ('job_charge', 'job_fee')`,
      [ids],
    );
    const charged = new Map<string, number>();
    const fees = new Map<string, number>();
    for (const e of entries) {
      const amount = toSafeInteger(e.amount);
      if (e.kind === "job_charge") charged.set(e.job_id, -amount);
      else fees.set(e.job_id, amount);
    }
    const refunds = credits.map((c) => {
      const node = toSafeInteger(c.amount);
      const fee = fees.get(c.job_id) ?? 0;
      // A part that cost nothing has no entries (a transfer of zeros posts none).
      const amount = charged.get(c.job_id) ?? 0;
      if (amount !== node + fee) throw new Error(`job ${c.job_id}: charge ${String(amount)} is not the node's ${node} plus the fee ${fee}`);
      return { ...c, node, fee, amount, part: toSafeInteger(c.part) };
    });
    await tx.query(`UPDATE node_credits SET state = 'refunded' WHERE job_id = ANY($1::text[]) AND state IN ('pending', 'held')`, [ids]);
    // The primary key on job_refunds is the last guard against refunding a part twice.
    await tx.query(
      `INSERT INTO job_refunds (job_id, parent_job_id, part, consumer_account_id, node_address, amount_micro_usd, node_micro_usd, fee_micro_usd, cause, reason, created_at)
       SELECT j, p, n, a, $1, m, nm, f, $2, $3, $4 FROM unnest($5::text[], $6::text[], $7::int[], $8::text[], $9::bigint[], $10::bigint[], $11::bigint[]) AS r(j, p, n, a, m, nm, f)`,
      [
        address,
        input.cause,
        reason,
        input.at.toISOString(),
        ids,
        refunds.map((r) => r.parent),
        refunds.map((r) => r.part),
        refunds.map((r) => r.account),
        refunds.map((r) => r.amount),
        refunds.map((r) => r.node),
        refunds.map((r) => r.fee),
      ],
    );
    for (const r of refunds) {
      await postTransfer(
        tx,
        `refund:${r.job_id}`,
        r.job_id,
        [
          { accountId: r.account, amountMicroUsd: r.amount, kind: "job_refund" },
          { accountId: r.state === "held" ? nodeHeldAccountId(address) : nodePendingAccountId(address), amountMicroUsd: -r.node, kind: "earning_refund" },
          { accountId: PLATFORM_ACCOUNT, amountMicroUsd: -r.fee, kind: "fee_refund" },
        ],
        input.at,
      );
    }
    return {
      parts: refunds.length,
      jobs: new Set(refunds.map((r) => r.parent)).size,
      consumers: new Set(refunds.map((r) => r.account)).size,
      microUsd: refunds.reduce((sum, r) => sum + r.amount, 0),
    };
  });
}

/** One refund line as a consumer sees it (snake_case, like the rest of the OpenAI-style API). */
export interface ConsumerRefundLine {
  readonly object: "refund";
  readonly job_id: string;
  readonly part: number;
  readonly amount_micro_usd: number;
  readonly reason: string;
  /** Unix seconds, like OpenAI's `created`. */
  readonly created: number;
}

/** A consumer's refunds since `since`, newest first (at most `limit`), and the total ever refunded. */
export async function consumerRefunds(q: Queryable, accountId: string, since: Date, limit = 1_000): Promise<{ totalMicroUsd: number; lines: ConsumerRefundLine[] }> {
  const total = await q.query<{ s: unknown }>(`SELECT COALESCE(SUM(amount_micro_usd), 0) AS s FROM job_refunds WHERE consumer_account_id = $1`, [accountId]);
  const { rows } = await q.query<{ parent_job_id: string; part: unknown; amount: unknown; reason: string; created_at: Date | string }>(
    `SELECT parent_job_id, part, amount_micro_usd AS amount, reason, created_at FROM job_refunds
     WHERE consumer_account_id = $1 AND created_at >= $2 ORDER BY created_at DESC, job_id DESC LIMIT $3`,
    [accountId, since.toISOString(), limit],
  );
  return {
    totalMicroUsd: toSafeInteger(total.rows[0]?.s),
    lines: rows.map((r) => ({
      object: "refund",
      job_id: r.parent_job_id,
      part: toSafeInteger(r.part),
      amount_micro_usd: toSafeInteger(r.amount),
      reason: r.reason,
      created: Math.floor(new Date(r.created_at).getTime() / 1000),
    })),
  };
}

/** What was refunded for a node's work: how much, for how many consumer jobs (and parts). */
export interface NodeRefundTotals {
  readonly jobs: number;
  readonly parts: number;
  readonly microUsd: number;
}

/** Refund totals per node address (lower case); nodes without refunds are absent. */
export async function nodeRefundTotals(q: Queryable, addresses: readonly string[]): Promise<Map<string, NodeRefundTotals>> {
  if (addresses.length === 0) return new Map();
  const { rows } = await q.query<{ node_address: string; jobs: unknown; parts: unknown; s: unknown }>(
    `SELECT node_address, COUNT(DISTINCT parent_job_id) AS jobs, COUNT(*) AS parts, SUM(amount_micro_usd) AS s
     FROM job_refunds WHERE node_address = ANY($1::text[]) GROUP BY node_address`,
    [addresses.map((a) => a.toLowerCase())],
  );
  return new Map(rows.map((r) => [r.node_address, { jobs: toSafeInteger(r.jobs), parts: toSafeInteger(r.parts), microUsd: toSafeInteger(r.s) }]));
}
