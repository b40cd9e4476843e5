/**
 * Test support: audits the ledger's books from the database itself and lists every broken rule
 * as a sentence (an empty list means the books are sound). The rules are the ledger's promises
 * to owners and consumers; see ledger-invariants.test.ts.
 */
import { toSafeInteger, type Queryable } from "../db";
import { VERIFICATION_ACCOUNT } from "../check-ledger";

async function rows<T>(db: Queryable, sql: string, params: unknown[] = []): Promise<T[]> {
  return (await db.query<T>(sql, params)).rows;
}

/** Every violation of the ledger's invariants, in words. */
export async function auditBooks(db: Queryable): Promise<string[]> {
  const problems: string[] = [];
  const say = (rule: string, found: unknown[]) => {
    if (found.length > 0) problems.push(`${rule}: ${JSON.stringify(found.slice(0, 5))}`);
  };

  const total = await rows<{ s: unknown }>(db, `SELECT COALESCE(SUM(amount_micro_usd), 0) AS s FROM ledger_entries`);
  if (toSafeInteger(total[0]?.s) !== 0) problems.push(`all entries sum to ${String(total[0]?.s)}, not 0`);
  say("transfers that do not sum to zero", await rows(db, `SELECT txn_id FROM ledger_entries GROUP BY txn_id HAVING SUM(amount_micro_usd) <> 0`));

  say(
    "balances that differ from the sum of their entries",
    await rows(
      db,
      `SELECT b.account_id FROM balances b LEFT JOIN ledger_entries e ON e.account_id = b.account_id
       GROUP BY b.account_id, b.balance_micro_usd HAVING b.balance_micro_usd <> COALESCE(SUM(e.amount_micro_usd), 0)`,
    ),
  );
  // The outside world and the platform's verification budget (check-ledger.ts) go negative by design.
  const mayGoNegative = `(account_id LIKE 'external:%' OR account_id = '${VERIFICATION_ACCOUNT}')`;
  say("negative balances", await rows(db, `SELECT account_id FROM balances WHERE balance_micro_usd < 0 AND NOT ${mayGoNegative}`));
  say(
    "reservations beyond the balance",
    await rows(db, `SELECT account_id FROM balances WHERE NOT ${mayGoNegative} AND (reserved_micro_usd > balance_micro_usd OR reserved_micro_usd < 0)`),
  );
  say(
    "reservations that differ from the running jobs",
    await rows(
      db,
      `SELECT b.account_id FROM balances b LEFT JOIN jobs j ON j.consumer_account_id = b.account_id AND j.status = 'running'
       WHERE b.account_id LIKE 'consumer:%'
       GROUP BY b.account_id, b.reserved_micro_usd HAVING b.reserved_micro_usd <> COALESCE(SUM(j.reserved_micro_usd), 0)`,
    ),
  );

  say(
    "node credits without a receipt from that node",
    await rows(
      db,
      `SELECT e.job_id FROM ledger_entries e LEFT JOIN receipts r ON r.job_id = e.job_id
       WHERE e.kind = 'job_earning' AND (r.job_id IS NULL OR e.account_id NOT IN ('node:' || r.node_address, 'node-pending:' || r.node_address, 'node-held:' || r.node_address))`,
    ),
  );
  say(
    "jobs credited or charged more than once",
    await rows(db, `SELECT job_id, kind FROM ledger_entries WHERE kind IN ('job_earning', 'job_charge', 'job_fee') GROUP BY job_id, kind HAVING COUNT(*) > 1`),
  );
  // A job served in parts whose first node sent no valid receipt is billed only through its
  // continuation parts ("<job>.p<n>" rows under it): those carry the receipts and credits.
  say(
    "settled jobs without exactly one receipt and one credit row",
    await rows(
      db,
      `SELECT j.id FROM jobs j LEFT JOIN receipts r ON r.job_id = j.id LEFT JOIN node_credits c ON c.job_id = j.id
       WHERE (j.status = 'settled') <> (r.job_id IS NOT NULL AND c.job_id IS NOT NULL)
         AND NOT (j.status = 'settled' AND r.job_id IS NULL AND c.job_id IS NULL
                  AND EXISTS (SELECT 1 FROM jobs p JOIN receipts pr ON pr.job_id = p.id WHERE p.parent_job_id = j.id AND p.status = 'settled'))`,
    ),
  );
  say(
    "credit rows whose amount differs from the job's earning entry",
    await rows(
      db,
      `SELECT c.job_id FROM node_credits c LEFT JOIN ledger_entries e ON e.job_id = c.job_id AND e.kind = 'job_earning'
       WHERE COALESCE(e.amount_micro_usd, 0) <> c.amount_micro_usd`,
    ),
  );
  say(
    "pending or held accounts that differ from their credits",
    await rows(
      db,
      `SELECT b.account_id FROM balances b
       LEFT JOIN node_credits c ON (b.account_id = 'node-pending:' || c.node_address AND c.state = 'pending')
                                OR (b.account_id = 'node-held:' || c.node_address AND c.state = 'held')
       WHERE b.account_id LIKE 'node-pending:%' OR b.account_id LIKE 'node-held:%'
       GROUP BY b.account_id, b.balance_micro_usd HAVING b.balance_micro_usd <> COALESCE(SUM(c.amount_micro_usd), 0)`,
    ),
  );
  say(
    "held credits of a node with no hold",
    await rows(db, `SELECT c.job_id FROM node_credits c LEFT JOIN node_holds h ON h.node_address = c.node_address WHERE c.state = 'held' AND h.node_address IS NULL`),
  );
  say(
    "pending credits of a node on hold",
    await rows(db, `SELECT c.job_id FROM node_credits c JOIN node_holds h ON h.node_address = c.node_address WHERE c.state = 'pending'`),
  );
  say(
    "refunded credits without exactly one refund row, or refund rows on credits not refunded",
    await rows(
      db,
      `SELECT c.job_id FROM node_credits c FULL JOIN job_refunds f ON f.job_id = c.job_id
       WHERE (c.state = 'refunded') IS DISTINCT FROM (f.job_id IS NOT NULL)`,
    ),
  );
  say(
    "refunds that differ from what the part was charged, credited and fee'd",
    await rows(
      db,
      `SELECT f.job_id FROM job_refunds f JOIN node_credits c ON c.job_id = f.job_id
       WHERE f.node_micro_usd <> c.amount_micro_usd
          OR f.amount_micro_usd <> COALESCE((SELECT -SUM(amount_micro_usd) FROM ledger_entries e WHERE e.job_id = f.job_id AND e.kind = 'job_charge'), 0)
          OR f.fee_micro_usd <> COALESCE((SELECT SUM(amount_micro_usd) FROM ledger_entries e WHERE e.job_id = f.job_id AND e.kind = 'job_fee'), 0)
          OR f.consumer_account_id <> (SELECT consumer_account_id FROM jobs j WHERE j.id = f.job_id)
          OR f.consumer_account_id NOT LIKE 'consumer:%'`,
    ),
  );
  say(
    "refund entries that differ from their refund row",
    await rows(
      db,
      `SELECT f.job_id FROM job_refunds f
       WHERE f.amount_micro_usd <> COALESCE((SELECT SUM(amount_micro_usd) FROM ledger_entries e WHERE e.job_id = f.job_id AND e.kind = 'job_refund' AND e.account_id = f.consumer_account_id), 0)
          OR f.node_micro_usd <> COALESCE((SELECT -SUM(amount_micro_usd) FROM ledger_entries e WHERE e.job_id = f.job_id AND e.kind = 'earning_refund'), 0)
          OR f.fee_micro_usd <> COALESCE((SELECT -SUM(amount_micro_usd) FROM ledger_entries e WHERE e.job_id = f.job_id AND e.kind = 'fee_refund'), 0)`,
    ),
  );
  say(
    "refund entries without a refund row, or counted more than once",
    await rows(
      db,
      `SELECT e.job_id, e.kind FROM ledger_entries e LEFT JOIN job_refunds f ON f.job_id = e.job_id
       WHERE e.kind IN ('job_refund', 'earning_refund', 'fee_refund') GROUP BY e.job_id, e.kind HAVING COUNT(*) > 1 OR COUNT(f.job_id) = 0`,
    ),
  );
  return problems;
}
