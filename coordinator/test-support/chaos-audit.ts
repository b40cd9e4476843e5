/**
 * Test and bench support: the checks after a chaos run, each a named rule with its verdict —
 * the ledger's own invariants (ledger-books.ts), plus what faults threaten most: no job left
 * running with its reservation held, nothing charged or credited for a job that did not settle,
 * no job or part credited twice (in the books, and as `credit` messages the nodes received).
 */
import { toSafeInteger, type Queryable } from "../db";
import { auditBooks } from "./ledger-books";

/** One rule and whether it held. */
export interface InvariantResult {
  readonly rule: string;
  readonly ok: boolean;
  readonly detail: string;
}

async function count(db: Queryable, sql: string): Promise<number> {
  const { rows } = await db.query<{ n: unknown }>(sql);
  return toSafeInteger(rows[0]?.n);
}

/** Checks every rule; `creditedJobIds` are the job ids of every `credit` message the nodes received. */
export async function auditChaosRun(db: Queryable, creditedJobIds: readonly string[]): Promise<InvariantResult[]> {
  const results: InvariantResult[] = [];
  const rule = (name: string, problems: number, detail: string) => results.push({ rule: name, ok: problems === 0, detail });

  const books = await auditBooks(db);
  rule("ledger books (entries sum to zero, balances match entries, none negative, reservations match running jobs, credits rest on receipts)", books.length, books.join("; ") || "sound");

  const running = await count(db, `SELECT COUNT(*) AS n FROM jobs WHERE status = 'running'`);
  rule("no job left running after the run", running, `${running} running`);
  const reserved = await count(db, `SELECT COALESCE(SUM(reserved_micro_usd), 0) AS n FROM balances WHERE account_id LIKE 'consumer:%'`);
  rule("every reservation released", reserved === 0 ? 0 : 1, `${reserved} µUSD still reserved`);

  const unsettledWithMoney = await count(
    db,
    `SELECT COUNT(DISTINCT j.id) AS n FROM jobs j JOIN ledger_entries e ON e.job_id = j.id WHERE j.status <> 'settled'`,
  );
  rule("nothing charged or credited for a job that did not settle", unsettledWithMoney, `${unsettledWithMoney} jobs`);

  const doubleEntries = await count(
    db,
    `SELECT COUNT(*) AS n FROM (SELECT job_id, kind FROM ledger_entries WHERE kind IN ('job_earning', 'job_charge', 'job_fee') GROUP BY job_id, kind HAVING COUNT(*) > 1) d`,
  );
  const doubleTxns = await count(db, `SELECT COUNT(*) AS n FROM (SELECT txn_id FROM ledger_entries GROUP BY txn_id, account_id HAVING COUNT(*) > 1) d`);
  rule("no job charged or credited twice in the books", doubleEntries + doubleTxns, `${doubleEntries} doubled job entries, ${doubleTxns} doubled transfer legs`);

  const settledWithoutReceipt = await count(
    db,
    `SELECT COUNT(*) AS n FROM jobs j LEFT JOIN receipts r ON r.job_id = j.id LEFT JOIN node_credits c ON c.job_id = j.id
     WHERE j.status = 'settled' AND (r.job_id IS NULL OR c.job_id IS NULL)
       AND NOT EXISTS (SELECT 1 FROM jobs p JOIN receipts pr ON pr.job_id = p.id JOIN node_credits pc ON pc.job_id = p.id WHERE p.parent_job_id = j.id)`,
  );
  const billedThroughParts = await count(
    db,
    `SELECT COUNT(*) AS n FROM jobs j WHERE j.status = 'settled' AND j.parent_job_id IS NULL AND NOT EXISTS (SELECT 1 FROM receipts r WHERE r.job_id = j.id)`,
  );
  rule(
    "every settled job has its receipt and one credit (or, when its first node sent none, its continuation parts do)",
    settledWithoutReceipt,
    `${settledWithoutReceipt} without; ${billedThroughParts} billed through continuation parts only`,
  );

  const seen = new Map<string, number>();
  for (const id of creditedJobIds) seen.set(id, (seen.get(id) ?? 0) + 1);
  const twice = [...seen.entries()].filter(([, n]) => n > 1);
  rule("no node told twice it was credited for a job", twice.length, twice.length ? twice.slice(0, 3).map(([id, n]) => `${id} ×${n}`).join(", ") : `${seen.size} credits, each once`);
  const { rows } = await db.query<{ id: string }>(`SELECT job_id AS id FROM node_credits`);
  const booked = new Set(rows.map((r) => r.id));
  const unbooked = [...seen.keys()].filter((id) => !booked.has(id));
  rule("every credit a node was told of is in the books", unbooked.length, `${unbooked.length} missing`);
  return results;
}

/** Jobs by status, for the report. */
export async function jobsByStatus(db: Queryable): Promise<Record<string, number>> {
  const { rows } = await db.query<{ status: string; n: unknown }>(`SELECT status, COUNT(*) AS n FROM jobs GROUP BY status ORDER BY status`);
  return Object.fromEntries(rows.map((r) => [r.status, toSafeInteger(r.n)]));
}
