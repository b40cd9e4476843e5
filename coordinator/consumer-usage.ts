/**
 * `GET /v1/usage`: what a consumer key has — its balance, what it spent, what was refunded to
 * it (work of a node caught cheating, one line per refunded job part, with the reason), and its
 * requests and tokens by UTC day — so a consumer can follow its spending without the admin.
 */
import { toSafeInteger, type Database } from "./db";
import type { ApiKeyOwner } from "./api-keys";
import { consumerRefunds, type ConsumerRefundLine } from "./job-refunds";

/** One UTC day of a key's use. */
export interface UsageDay {
  readonly date: string;
  readonly requests: number;
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly spent_micro_usd: number;
}

/** The usage answer (snake_case, like the rest of the OpenAI-style API). */
export interface UsageView {
  readonly object: "usage";
  readonly key_id: string;
  readonly balance_micro_usd: number;
  readonly reserved_micro_usd: number;
  readonly available_micro_usd: number;
  /** Charged for jobs, refunds not deducted. */
  readonly spent_micro_usd: number;
  /** Ever refunded; the balance includes it. */
  readonly refunded_micro_usd: number;
  /** Refunds made in the period asked for, newest first. */
  readonly refunds: readonly ConsumerRefundLine[];
  readonly days: readonly UsageDay[];
}

/** Days of history a usage request may ask for. */
export const MAX_USAGE_DAYS = 90;

/** A key's usage over the last `days` UTC days (today included), days without requests left out. */
export async function keyUsage(db: Database, owner: ApiKeyOwner, days: number, now: Date): Promise<UsageView> {
  const since = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - (days - 1)));
  const balance = await db.query<{ b: unknown; r: unknown }>(`SELECT balance_micro_usd AS b, reserved_micro_usd AS r FROM balances WHERE account_id = $1`, [owner.accountId]);
  const spent = await db.query<{ s: unknown }>(
    `SELECT COALESCE(-SUM(amount_micro_usd), 0) AS s FROM ledger_entries WHERE account_id = $1 AND kind = 'job_charge'`,
    [owner.accountId],
  );
  const byDay = await db.query<{ day: string; n: unknown; p: unknown; c: unknown; s: unknown }>(
    `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, COUNT(*) AS n,
       COALESCE(SUM(prompt_tokens) FILTER (WHERE status = 'settled'), 0) AS p,
       COALESCE(SUM(completion_tokens) FILTER (WHERE status = 'settled'), 0) AS c,
       COALESCE(SUM(cost_micro_usd) FILTER (WHERE status = 'settled'), 0) AS s
     FROM jobs WHERE consumer_account_id = $1 AND parent_job_id IS NULL AND created_at >= $2
     GROUP BY 1 ORDER BY 1`,
    [owner.accountId, since.toISOString()],
  );
  const refunds = await consumerRefunds(db, owner.accountId, since);
  const b = toSafeInteger(balance.rows[0]?.b);
  const r = toSafeInteger(balance.rows[0]?.r);
  return {
    object: "usage",
    key_id: owner.id,
    balance_micro_usd: b,
    reserved_micro_usd: r,
    available_micro_usd: b - r,
    spent_micro_usd: toSafeInteger(spent.rows[0]?.s),
    refunded_micro_usd: refunds.totalMicroUsd,
    refunds: refunds.lines,
    days: byDay.rows.map((d) => ({
      date: d.day,
      requests: toSafeInteger(d.n),
      prompt_tokens: toSafeInteger(d.p),
      completion_tokens: toSafeInteger(d.c),
      spent_micro_usd: toSafeInteger(d.s),
    })),
  };
}
