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
import { accountKind, PLATFORM_ACCOUNT } from "./ledger-accounts";
import { lockNodes, nodeHeldAccountId, nodePendingAccountId, nodeTotalsOfMany } from "./node-credits";

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

const ACCOUNT_ORDER = { consumer: 0, node: 1, platform: 2, external: 3 } as const;

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
  const at = options.at.toISOString();
  await db.transaction(async (tx) => {
    const closed = await closeJobs(tx, priced, at);
    await explainUnclosed(tx, priced, closed, results);
    if (closed.length === 0) return;
    await tx.query(
      `INSERT INTO receipts (job_id, node_address, model, prompt_tokens, completion_tokens, output_hash, signature, finish_reason, created_at)
       SELECT r.*, $9::timestamptz FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::text[], $8::text[]) AS r`,
      [
        closed.map((c) => c.input.jobId),
        closed.map((c) => c.address),
        closed.map((c) => c.input.receipt.model),
        closed.map((c) => c.input.receipt.promptTokens),
        closed.map((c) => c.input.receipt.completionTokens),
        closed.map((c) => c.input.receipt.outputHash),
        closed.map((c) => c.input.receipt.signature),
        closed.map((c) => c.input.finishReason),
        at,
      ],
    );
    // Consumers' balances, then the nodes' locks: the order a refund takes them in (job-refunds.ts),
    // so a settlement and a refund of the same node wait for each other rather than deadlock.
    const consumers = [...new Set(closed.map((c) => c.account))].sort();
    await tx.query(`SELECT account_id FROM balances WHERE account_id = ANY($1::text[]) ORDER BY account_id FOR UPDATE`, [consumers]);
    const nodes = [...new Set(closed.map((c) => c.address))].sort();
    await lockNodes(tx, nodes);
    const held = await bookCredits(tx, closed, at, new Date(options.at.getTime() + options.verificationWindowMs).toISOString());
    await postSettlements(tx, closed, held, at);
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

/** Books each job's node share, pending or held (a hold placed before the nodes' locks is seen); returns the held jobs. */
async function bookCredits(tx: Queryable, closed: readonly Closed[], at: string, availableAt: string): Promise<Set<string>> {
  const { rows } = await tx.query<{ job_id: string; state: "pending" | "held" }>(
    `INSERT INTO node_credits (job_id, node_address, amount_micro_usd, state, credited_at, available_at)
     SELECT v.id, v.addr, v.amount,
       CASE WHEN EXISTS (SELECT 1 FROM node_holds h WHERE h.node_address = v.addr) THEN 'held' ELSE 'pending' END, $4, $5
     FROM unnest($1::text[], $2::text[], $3::bigint[]) AS v(id, addr, amount)
     RETURNING job_id, state`,
    [closed.map((c) => c.input.jobId), closed.map((c) => c.address), closed.map((c) => c.nodeMicroUsd), at, availableAt],
  );
  return new Set(rows.filter((r) => r.state === "held").map((r) => r.job_id));
}

/**
 * One balanced transfer per job (consumer −cost, node +share, platform +fee), as ledger
 * entries, and each account's balance moved once by the batch's sum, with the consumers'
 * reservations released in the same statement. Accounts are locked consumers first, then
 * nodes, then the platform, each group in name order, as a single settlement names them.
 */
async function postSettlements(tx: Queryable, closed: readonly Closed[], held: ReadonlySet<string>, at: string): Promise<void> {
  const entries: { txn: string; job: string; account: string; amount: number; kind: string }[] = [];
  const moves = new Map<string, { balance: number; reserved: number }>();
  const move = (account: string, balance: number, reserved = 0) => {
    const m = moves.get(account) ?? { balance: 0, reserved: 0 };
    moves.set(account, { balance: m.balance + balance, reserved: m.reserved + reserved });
  };
  for (const c of closed) {
    const job = c.input.jobId;
    const nodeAccount = held.has(job) ? nodeHeldAccountId(c.address) : nodePendingAccountId(c.address);
    const legs = [
      { account: c.account, amount: -c.input.costMicroUsd, kind: "job_charge" },
      { account: nodeAccount, amount: c.nodeMicroUsd, kind: "job_earning" },
      { account: PLATFORM_ACCOUNT, amount: c.feeMicroUsd, kind: "job_fee" },
    ];
    for (const leg of legs) if (leg.amount !== 0) entries.push({ txn: `job:${job}`, job, ...leg });
    move(c.account, -c.input.costMicroUsd, -c.reserved);
    move(nodeAccount, c.nodeMicroUsd);
    move(PLATFORM_ACCOUNT, c.feeMicroUsd);
  }
  const accounts = [...moves.keys()].sort((a, b) => ACCOUNT_ORDER[accountKind(a)] - ACCOUNT_ORDER[accountKind(b)] || (a < b ? -1 : a > b ? 1 : 0));
  await tx.query(`INSERT INTO accounts (id, kind) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (id) DO NOTHING`, [
    accounts,
    accounts.map(accountKind),
  ]);
  if (entries.length > 0) {
    await tx.query(
      `INSERT INTO ledger_entries (txn_id, account_id, amount_micro_usd, job_id, kind, created_at)
       SELECT t, a, m, j, k, $6 FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[]) AS e(t, a, m, j, k)`,
      [entries.map((e) => e.txn), entries.map((e) => e.account), entries.map((e) => e.amount), entries.map((e) => e.job), entries.map((e) => e.kind), at],
    );
  }
  // A consumer's row exists (its reservation is on it); a node's or the platform's may not yet.
  await tx.query(
    `INSERT INTO balances (account_id, balance_micro_usd, reserved_micro_usd)
     SELECT a, m, 0 FROM unnest($1::text[], $2::bigint[], $3::bigint[]) WITH ORDINALITY AS moves(a, m, r, n) ORDER BY n
     ON CONFLICT (account_id) DO UPDATE SET balance_micro_usd = balances.balance_micro_usd + EXCLUDED.balance_micro_usd,
       reserved_micro_usd = balances.reserved_micro_usd + (SELECT r FROM unnest($1::text[], $3::bigint[]) AS x(a, r) WHERE x.a = EXCLUDED.account_id)`,
    [accounts, accounts.map((a) => moves.get(a)?.balance ?? 0), accounts.map((a) => moves.get(a)?.reserved ?? 0)],
  );
}
