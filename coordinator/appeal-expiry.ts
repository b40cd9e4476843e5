/**
 * Forfeiture of held earnings: a node still quarantined when its appeal window has passed since
 * its hold (not counting the time its appeals were open; an open appeal stops the clock) loses
 * its held credits, and the consumers of those job parts are refunded what they paid
 * (job-refunds.ts). Run from the periodic credit release; each part is refunded once whatever
 * runs it, and the conditions are checked again under the node's lock, so an appeal filed or
 * upheld at the same moment wins. Credits paid by the platform's verification account are
 * not consumer work and stay held (job-refunds.ts leaves them).
 */
import type { Database, Queryable } from "./db";
import { forfeitTime } from "./appeals";
import { refundNodeCredits } from "./job-refunds";

/** What one forfeiture run did. */
export interface ForfeitResult {
  /** Nodes whose held earnings were forfeited by this run. */
  readonly nodes: readonly string[];
  readonly parts: number;
  readonly microUsd: number;
}

/** The refund reason consumers see. */
export function forfeitReason(windowMs: number): string {
  const days = windowMs / 86_400_000;
  const span = Number.isInteger(days) ? `${days} day${days === 1 ? "" : "s"}` : `${Math.round(windowMs / 3_600_000)} hours`;
  return `forfeited: no appeal upheld within ${span}`;
}

/** The hold of the node if it is quarantined, still on that hold, and past its forfeit time. */
async function expired(q: Queryable, address: string, windowMs: number, now: Date): Promise<Date | null> {
  const { rows } = await q.query<{ held_at: Date | string }>(
    `SELECT h.held_at FROM node_holds h JOIN node_reputation r ON r.address = h.node_address
     WHERE h.node_address = $1 AND r.quarantined_at IS NOT NULL`,
    [address],
  );
  const row = rows[0];
  if (!row) return null;
  const heldAt = new Date(row.held_at);
  const at = await forfeitTime(q, address, heldAt, windowMs);
  return at !== null && at <= now.getTime() ? heldAt : null;
}

/**
 * Forfeits the held earnings of up to `limit` quarantined nodes whose appeal window has passed,
 * refunding their consumers. Idempotent: a node with nothing refundable left is not touched again.
 */
export async function forfeitExpiredHolds(db: Database, now: Date, windowMs: number, limit = 50): Promise<ForfeitResult> {
  if (!Number.isSafeInteger(windowMs) || windowMs < 0) throw new RangeError(`the appeal window must be a non-negative integer of ms, got ${windowMs}`);
  // Candidates: quarantined, held for at least the window, with consumer work still held.
  const { rows } = await db.query<{ node_address: string }>(
    `SELECT h.node_address FROM node_holds h JOIN node_reputation r ON r.address = h.node_address
     WHERE r.quarantined_at IS NOT NULL AND h.held_at <= $1
       AND EXISTS (SELECT 1 FROM node_credits c JOIN jobs j ON j.id = c.job_id
                   WHERE c.node_address = h.node_address AND c.state = 'held' AND j.consumer_account_id LIKE 'consumer:%')
     ORDER BY h.held_at, h.node_address LIMIT $2`,
    [new Date(now.getTime() - windowMs).toISOString(), limit],
  );
  const nodes: string[] = [];
  let parts = 0;
  let microUsd = 0;
  const reason = forfeitReason(windowMs);
  for (const { node_address: address } of rows) {
    const heldAt = await expired(db, address, windowMs, now);
    if (heldAt === null) continue;
    const refunded = await refundNodeCredits(db, {
      address,
      cause: "quarantine",
      reason,
      at: now,
      states: ["held"],
      // Under the node's lock: still the same hold, still quarantined, still past its time.
      guard: async (tx) => (await expired(tx, address, windowMs, now))?.getTime() === heldAt.getTime(),
    });
    if (refunded.parts === 0) continue;
    nodes.push(address);
    parts += refunded.parts;
    microUsd += refunded.microUsd;
  }
  return { nodes, parts, microUsd };
}
