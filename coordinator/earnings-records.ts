/**
 * A node's earnings records from the ledger: credits per UTC hour and per UTC day, and the
 * credited jobs with their receipts, a page at a time (newest first, keyset pagination). A credit
 * refunded to its consumer counts nothing toward the series; it is listed, worth 0, with the
 * refund's reason, to a node that asks for it.
 */
import type { CreditedJob, CreditState, EarningsBucket } from "../shared/earnings-view";
import { toSafeInteger, type Queryable } from "./db";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * Credits of the last `count` UTC hours (or days) up to the one `now` falls in, oldest first,
 * with empty buckets filled in.
 */
export async function creditSeries(q: Queryable, address: string, now: Date, unit: "hour" | "day", count: number): Promise<EarningsBucket[]> {
  const size = unit === "hour" ? HOUR_MS : DAY_MS;
  const last = Math.floor(now.getTime() / size);
  const first = last - count + 1;
  // Buckets by epoch arithmetic: independent of the session's time zone.
  const { rows } = await q.query<{ bucket: unknown; s: unknown; n: unknown }>(
    `SELECT FLOOR(EXTRACT(EPOCH FROM credited_at) * 1000 / $3)::BIGINT AS bucket, SUM(amount_micro_usd) AS s, COUNT(*) AS n
     FROM node_credits WHERE node_address = $1 AND credited_at >= $2 AND state <> 'refunded' GROUP BY 1`,
    [address.toLowerCase(), new Date(first * size).toISOString(), size],
  );
  const byBucket = new Map(rows.map((r) => [toSafeInteger(r.bucket), { microUsd: toSafeInteger(r.s), jobs: toSafeInteger(r.n) }]));
  return Array.from({ length: count }, (_, i) => {
    const bucket = first + i;
    return { start: bucket * size, ...(byBucket.get(bucket) ?? { microUsd: 0, jobs: 0 }) };
  });
}

/** Where a page starts: after the job credited at `at` with id `jobId` (newest-first order). */
export interface PageCursor {
  readonly at: number;
  readonly jobId: string;
}

/** The opaque text of a cursor. */
export function encodeCursor(cursor: PageCursor): string {
  return Buffer.from(`${cursor.at}:${cursor.jobId}`, "utf8").toString("base64url");
}

/** Reads a cursor; null when the text is not one this coordinator made. */
export function decodeCursor(text: string): PageCursor | null {
  if (text.length > 300 || !/^[A-Za-z0-9_-]+$/.test(text)) return null;
  const m = /^(\d{1,15}):(.{1,100})$/.exec(Buffer.from(text, "base64url").toString("utf8"));
  return m ? { at: Number(m[1]), jobId: m[2] as string } : null;
}

interface CreditRow {
  job_id: string;
  credited_at: Date | string;
  amount: unknown;
  state: CreditState;
  available_at: Date | string;
  model: string;
  prompt_tokens: unknown;
  completion_tokens: unknown;
  output_hash: string;
  signature: string;
  refund_at: Date | string | null;
  refund_reason: string | null;
}

/**
 * One page of the node's credited jobs, newest first: up to `limit` jobs credited before the
 * cursor (and at or after `since`, when given), and the cursor of the next page. Refunded
 * credits are listed only with `includeRefunded` (a node that predates the state would refuse
 * the whole report for one of them).
 */
export async function creditedJobs(
  q: Queryable,
  address: string,
  page: { limit: number; cursor: PageCursor | null; since: number | null; includeRefunded?: boolean },
): Promise<{ jobs: CreditedJob[]; next: PageCursor | null }> {
  const params: unknown[] = [address.toLowerCase(), page.limit + 1];
  let where = page.includeRefunded ? "c.node_address = $1" : "c.node_address = $1 AND c.state <> 'refunded'";
  if (page.cursor) {
    params.push(new Date(page.cursor.at).toISOString(), page.cursor.jobId);
    where += ` AND (c.credited_at, c.job_id) < ($${params.length - 1}, $${params.length})`;
  }
  if (page.since !== null) {
    params.push(new Date(page.since).toISOString());
    where += ` AND c.credited_at >= $${params.length}`;
  }
  const { rows } = await q.query<CreditRow>(
    `SELECT c.job_id, c.credited_at, c.amount_micro_usd AS amount, c.state, c.available_at, r.model, r.prompt_tokens,
       r.completion_tokens, r.output_hash, r.signature, f.created_at AS refund_at, f.reason AS refund_reason
     FROM node_credits c JOIN receipts r ON r.job_id = c.job_id LEFT JOIN job_refunds f ON f.job_id = c.job_id
     WHERE ${where} ORDER BY c.credited_at DESC, c.job_id DESC LIMIT $2`,
    params,
  );
  const jobs = rows.slice(0, page.limit).map((r): CreditedJob => {
    const amount = toSafeInteger(r.amount);
    const refunded = r.state === "refunded";
    return {
      jobId: r.job_id,
      at: new Date(r.credited_at).getTime(),
      model: r.model,
      promptTokens: toSafeInteger(r.prompt_tokens),
      completionTokens: toSafeInteger(r.completion_tokens),
      amountMicroUsd: refunded ? 0 : amount,
      state: r.state,
      availableAt: new Date(r.available_at).getTime(),
      outputHash: r.output_hash,
      signature: r.signature,
      refund: refunded
        ? { at: r.refund_at === null ? new Date(r.credited_at).getTime() : new Date(r.refund_at).getTime(), microUsd: amount, reason: (r.refund_reason ?? "").slice(0, 600) }
        : null,
    };
  });
  const last = jobs.at(-1);
  return { jobs, next: rows.length > page.limit && last ? { at: last.at, jobId: last.jobId } : null };
}
