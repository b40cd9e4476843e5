/**
 * Opens many jobs in one statement: each job's worst-case cost is held back from its consumer's
 * available balance, and the job row exists exactly when its hold was taken. Jobs of one
 * consumer in the same batch are granted in the order they came while the running sum fits;
 * one refused that way while its consumer had other jobs in the batch is tried again alone, so
 * the answer for every job is what it would have been on its own, in that order. The ledger
 * hands it every job that starts at the same moment (group-commit.ts).
 */
import type { Database } from "./db";

/** A job to open and the hold it needs. */
export interface ReserveInput {
  readonly jobId: string;
  readonly consumerAccountId: string;
  readonly model: string;
  readonly amountMicroUsd: number;
}

/** Opens one job; false (and nothing opened) when its consumer cannot cover it. */
async function reserveOne(db: Database, input: ReserveInput, at: string): Promise<boolean> {
  const { rows } = await db.query(
    `WITH held AS (
       UPDATE balances SET reserved_micro_usd = reserved_micro_usd + $2
       WHERE account_id = $1 AND balance_micro_usd - reserved_micro_usd >= $2 RETURNING account_id)
     INSERT INTO jobs (id, consumer_account_id, model, status, reserved_micro_usd, created_at)
     SELECT $3, account_id, $4, 'running', $2, $5 FROM held RETURNING id`,
    [input.consumerAccountId, input.amountMicroUsd, input.jobId, input.model, at],
  );
  return rows.length > 0;
}

/** Opens `inputs` at `at`; one answer per input, in order (an Error for an input that is not a valid hold). */
export async function reserveJobsTogether(db: Database, inputs: readonly ReserveInput[], at: Date): Promise<Array<boolean | Error>> {
  const results: Array<boolean | Error> = inputs.map(() => false);
  const valid: { index: number; input: ReserveInput }[] = [];
  inputs.forEach((input, index) => {
    if (!Number.isSafeInteger(input.amountMicroUsd) || input.amountMicroUsd < 0) results[index] = new RangeError("reservation must be a non-negative safe integer");
    else valid.push({ index, input });
  });
  const when = at.toISOString();
  if (valid.length === 1) {
    const only = valid[0] as { index: number; input: ReserveInput };
    results[only.index] = await reserveOne(db, only.input, when);
    return results;
  }
  if (valid.length === 0) return results;
  // Lock the consumers' rows in name order, grant each consumer's jobs in arrival order while
  // their running sum fits what it has free, hold the granted sums and open the granted jobs.
  const { rows } = await db.query<{ id: string }>(
    `WITH req AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) WITH ORDINALITY AS r(id, account, model, amount, n)),
     free AS (
       SELECT account_id, balance_micro_usd - reserved_micro_usd AS free FROM balances
       WHERE account_id IN (SELECT account FROM req) ORDER BY account_id FOR UPDATE),
     ranked AS (
       SELECT req.*, SUM(req.amount) OVER (PARTITION BY req.account ORDER BY req.n) AS running, free.free
       FROM req JOIN free ON free.account_id = req.account),
     ok AS (SELECT * FROM ranked WHERE running <= free),
     held AS (
       UPDATE balances b SET reserved_micro_usd = b.reserved_micro_usd + s.total
       FROM (SELECT account, SUM(amount) AS total FROM ok GROUP BY account) s WHERE b.account_id = s.account RETURNING b.account_id)
     INSERT INTO jobs (id, consumer_account_id, model, status, reserved_micro_usd, created_at)
     SELECT ok.id, ok.account, ok.model, 'running', ok.amount, $5 FROM ok WHERE ok.account IN (SELECT account_id FROM held) RETURNING id`,
    [valid.map((v) => v.input.jobId), valid.map((v) => v.input.consumerAccountId), valid.map((v) => v.input.model), valid.map((v) => v.input.amountMicroUsd), when],
  );
  const opened = new Set(rows.map((r) => r.id));
  const perAccount = new Map<string, number>();
  for (const v of valid) perAccount.set(v.input.consumerAccountId, (perAccount.get(v.input.consumerAccountId) ?? 0) + 1);
  for (const v of valid) {
    if (opened.has(v.input.jobId)) results[v.index] = true;
    // A job refused behind a bigger one of the same consumer may fit by itself.
    else if ((perAccount.get(v.input.consumerAccountId) ?? 0) > 1) results[v.index] = await reserveOne(db, v.input, when);
  }
  return results;
}
