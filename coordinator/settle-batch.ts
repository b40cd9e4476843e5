/**
 * Settles many single-node jobs in one transaction with one statement per step, whatever their
 * number: close the jobs, record the receipts, take the nodes' locks, book the node credits,
 * post the transfers (consumer charged and its reservation released, node credited pending or
 * held, platform fee) and read the nodes' new totals. Per job it does what a settlement of that
 * job alone would do, and a job settles at most once (`status = 'running'`, the receipt's
 * primary key, the credit's primary key). The ledger hands it whatever settled at the same
 * moment (group-commit.ts).
 */
import { splitCost } from "../shared/money";
import type { FinishReason, Receipt } from "../shared/protocol";
import { toSafeInteger, type Database, type Queryable } from "./db";
import { PLATFORM_ACCOUNT, postTransfers } from "./ledger-accounts";
import { bookNodeCredits, lockNodes, nodeHeldAccountId, nodePendingAccountId, nodeTotalsOfMany } from "./node-credits";
import { insertReceipts } from "./receipt-rows";

/** What a settlement needs: the verified receipt, who sent it and the cost it was priced at. */
export interface SettleInput {
  readonly jobId: string;
  readonly nodeAddress: string;
  readonly receipt: Receipt;
  readonly finishReason: FinishReason;
  readonly costMicroUsd: number;
  readonly feeBps: number;
}

/** What settling a job did. */
export type SettleResult =
  | {
      readonly status: "settled";
      readonly costMicroUsd: number;
      readonly nodeMicroUsd: number;
      readonly feeMicroUsd: number;
      /** The node's earnings not yet withdrawn: available + pending + held. */
      readonly nodeBalanceMicroUsd: number;
      readonly nodeTodayMicroUsd: number;
    }
  /** The job was already settled, failed or disputed: nothing was moved. */
  | { readonly status: "already_closed" };

interface Priced {
  readonly index: number;
  readonly input: SettleInput;
  readonly address: string;
  readonly nodeMicroUsd: number;
  readonly feeMicroUsd: number;
}

interface Closed extends Priced {
  readonly account: string;
  readonly reserved: number;
}

/**
 * Settles `inputs` together at `at`; one result per input, in order (an Error for an input that
 * cannot settle: a bad cost, or a cost above what the job reserved).
 */
export async function settleJobsTogether(
  db: Database,
  inputs: readonly SettleInput[],
  options: { at: Date; verificationWindowMs: number },
): Promise<Array<SettleResult | Error>> {
  const results: Array<SettleResult | Error> = inputs.map(() => ({ status: "already_closed" }) as const);
  const priced: Priced[] = [];
  const seen = new Set<string>();
  inputs.forEach((input, index) => {
    try {
      const { nodeMicroUsd, feeMicroUsd } = splitCost(input.costMicroUsd, input.feeBps);
      // The same job twice in one batch: the first settles it, the second finds it closed.
      if (seen.has(input.jobId)) return;
      seen.add(input.jobId);
      priced.push({ index, input, address: input.nodeAddress.toLowerCase(), nodeMicroUsd, feeMicroUsd });
    } catch (err) {
      results[index] = err instanceof Error ? err : new Error(String(err));
    }
  });
  if (priced.length === 0) return results;
  await db.transaction(async (tx) => {
    const closed = await closeJobs(tx, priced, options.at.toISOString());
    await explainUnclosed(tx, priced, closed, results);
    if (closed.length === 0) return;
    await insertReceipts(
      tx,
      closed.map((c) => ({ jobId: c.input.jobId, nodeAddress: c.address, receipt: c.input.receipt, finishReason: c.input.finishReason })),
      options.at,
    );
    // Consumers' balances, then the nodes' locks: the order a refund takes them in (job-refunds.ts),
    // so a settlement and a refund of the same node wait for each other rather than deadlock.
    const consumers = [...new Set(closed.map((c) => c.account))].sort();
    await tx.query(`SELECT account_id FROM balances WHERE account_id = ANY($1::text[]) ORDER BY account_id FOR UPDATE`, [consumers]);
    const nodes = [...new Set(closed.map((c) => c.address))].sort();
    await lockNodes(tx, nodes);
    const held = await bookNodeCredits(
      tx,
      closed.map((c) => ({ jobId: c.input.jobId, address: c.address, amountMicroUsd: c.nodeMicroUsd })),
      options.at,
      options.verificationWindowMs,
    );
    await releaseReservations(tx, closed);
    // One transfer per job; the accounts it moves are locked already (consumers' rows above,
    // nodes' balances behind their locks), so the order the batch names them in is safe.
    await postTransfers(
      tx,
      closed.map((c) => ({
        txnId: `job:${c.input.jobId}`,
        jobId: c.input.jobId,
        legs: [
          { accountId: c.account, amountMicroUsd: -c.input.costMicroUsd, kind: "job_charge" },
          { accountId: held.has(c.input.jobId) ? nodeHeldAccountId(c.address) : nodePendingAccountId(c.address), amountMicroUsd: c.nodeMicroUsd, kind: "job_earning" },
          { accountId: PLATFORM_ACCOUNT, amountMicroUsd: c.feeMicroUsd, kind: "job_fee" },
        ],
      })),
      options.at,
    );
    const totals = await nodeTotalsOfMany(tx, nodes, options.at);
    for (const c of closed) {
      const t = totals.get(c.address) ?? { balanceMicroUsd: 0, todayMicroUsd: 0 };
      results[c.index] = {
        status: "settled",
        costMicroUsd: c.input.costMicroUsd,
        nodeMicroUsd: c.nodeMicroUsd,
        feeMicroUsd: c.feeMicroUsd,
        nodeBalanceMicroUsd: t.balanceMicroUsd,
        nodeTodayMicroUsd: t.todayMicroUsd,
      };
    }
  });
  return results;
}

/** Closes the running jobs whose reservation covers their cost; returns them with their consumer and reservation. */
async function closeJobs(tx: Queryable, priced: readonly Priced[], at: string): Promise<Closed[]> {
  const { rows } = await tx.query<{ id: string; account: string; reserved: unknown }>(
    `UPDATE jobs j SET status = 'settled', node_address = v.addr, cost_micro_usd = v.cost, prompt_tokens = v.pt,
       completion_tokens = v.ct, finished_at = $6
     FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[]) AS v(id, addr, cost, pt, ct)
     WHERE j.id = v.id AND j.status = 'running' AND j.reserved_micro_usd >= v.cost
     RETURNING j.id, j.consumer_account_id AS account, j.reserved_micro_usd AS reserved`,
    [
      priced.map((p) => p.input.jobId),
      priced.map((p) => p.address),
      priced.map((p) => p.input.costMicroUsd),
      priced.map((p) => p.input.receipt.promptTokens),
      priced.map((p) => p.input.receipt.completionTokens),
      at,
    ],
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  return priced.flatMap((p) => {
    const row = byId.get(p.input.jobId);
    return row ? [{ ...p, account: row.account, reserved: toSafeInteger(row.reserved) }] : [];
  });
}

/** A job left running by closeJobs costs more than it reserved: an error for it alone; any other was closed already. */
async function explainUnclosed(tx: Queryable, priced: readonly Priced[], closed: readonly Closed[], results: Array<SettleResult | Error>): Promise<void> {
  if (closed.length === priced.length) return;
  const done = new Set(closed.map((c) => c.input.jobId));
  const open = priced.filter((p) => !done.has(p.input.jobId));
  const { rows } = await tx.query<{ id: string; reserved: unknown }>(
    `SELECT id, reserved_micro_usd AS reserved FROM jobs WHERE id = ANY($1::text[]) AND status = 'running'`,
    [open.map((p) => p.input.jobId)],
  );
  for (const row of rows) {
    const p = open.find((o) => o.input.jobId === row.id) as Priced;
    results[p.index] = new Error(`job ${row.id} costs ${p.input.costMicroUsd} but only ${toSafeInteger(row.reserved)} was reserved`);
  }
}

/** Gives each consumer back the reservations of its settled jobs (their rows are locked). */
async function releaseReservations(tx: Queryable, closed: readonly Closed[]): Promise<void> {
  const byAccount = new Map<string, number>();
  for (const c of closed) byAccount.set(c.account, (byAccount.get(c.account) ?? 0) + c.reserved);
  await tx.query(
    `UPDATE balances b SET reserved_micro_usd = b.reserved_micro_usd - r.amount
     FROM unnest($1::text[], $2::bigint[]) AS r(account, amount) WHERE b.account_id = r.account`,
    [[...byAccount.keys()], [...byAccount.values()]],
  );
}
