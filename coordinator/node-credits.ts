/**
 * A node's credits after settlement: each job's share lands pending (`node-pending:<address>`),
 * becomes available (`node:<address>`, what withdrawals debit) once its verification window has
 * passed, and is held (`node-held:<address>`) while the node is on hold. Every move is a balanced
 * transfer; `node_credits` keeps one row per job so each credit moves once. A pending or held
 * credit of a node caught cheating may instead be refunded to its consumer (job-refunds.ts).
 */
import { randomUUID } from "node:crypto";
import { toSafeInteger, type Database, type Queryable } from "./db";
import { nodeAccountId, postTransfer, startOfUtcDay } from "./ledger-accounts";

/** Where a node's credit waits out its verification window. */
export function nodePendingAccountId(address: string): string {
  return `node-pending:${address.toLowerCase()}`;
}

/** Where a node's pending credits sit while the node is on hold. */
export function nodeHeldAccountId(address: string): string {
  return `node-held:${address.toLowerCase()}`;
}

/** Namespace of the per-node advisory locks (the second key is a hash of the address). */
const NODE_LOCK_SPACE = 720_913_552;

/**
 * Serialises, per node, settlements with holds: a credit settled while a hold is being placed
 * lands on the right side of it. Held until the transaction ends.
 */
export async function lockNode(tx: Queryable, address: string): Promise<void> {
  await lockNodes(tx, [address.toLowerCase()]);
}

/**
 * Takes several nodes' locks in one statement, in the order given (callers pass lower-case
 * addresses sorted, so two batches never wait on each other in a cycle): unnest yields the
 * array in order and the locks are taken row by row.
 */
export async function lockNodes(tx: Queryable, addresses: readonly string[]): Promise<void> {
  if (addresses.length === 0) return;
  await tx.query(`SELECT pg_advisory_xact_lock(${NODE_LOCK_SPACE}, hashtext(a)) FROM unnest($1::text[]) AS a`, [addresses]);
}

/** A node's money, all in µUSD. */
export interface NodeEarnings {
  /** Credits past their verification window, less withdrawals: what the node can withdraw. */
  readonly availableMicroUsd: number;
  /** Credits still inside their verification window. */
  readonly pendingMicroUsd: number;
  /** Pending credits frozen by a hold (quarantine). */
  readonly heldMicroUsd: number;
  /** Net of every withdrawal entry that left the available account. */
  readonly withdrawnMicroUsd: number;
  /** Everything ever credited for jobs. */
  readonly lifetimeMicroUsd: number;
  /** Credited since the start of the current UTC day. */
  readonly todayMicroUsd: number;
}

/**
 * Books a settled job's node share inside the settlement's transaction: pending, or held when
 * the node is on hold. Returns the account credited. The caller has inserted the receipt.
 */
export async function bookNodeCredit(
  tx: Queryable,
  input: { jobId: string; address: string; amountMicroUsd: number; at: Date; verificationWindowMs: number },
): Promise<string> {
  const address = input.address.toLowerCase();
  await lockNode(tx, address);
  const held = await bookNodeCredits(tx, [{ jobId: input.jobId, address, amountMicroUsd: input.amountMicroUsd }], input.at, input.verificationWindowMs);
  return held.has(input.jobId) ? nodeHeldAccountId(address) : nodePendingAccountId(address);
}

/**
 * Books several settled jobs' node shares (lower-case addresses) in one statement, each pending
 * or held as its node is; returns the ids of the jobs booked held. The caller holds the nodes'
 * locks (lockNodes) and has inserted the receipts. The statement runs after the locks were
 * taken, so a hold placed meanwhile is visible to it.
 */
export async function bookNodeCredits(
  tx: Queryable,
  credits: readonly { jobId: string; address: string; amountMicroUsd: number }[],
  at: Date,
  verificationWindowMs: number,
): Promise<Set<string>> {
  const { rows } = await tx.query<{ job_id: string; state: "pending" | "held" }>(
    `INSERT INTO node_credits (job_id, node_address, amount_micro_usd, state, credited_at, available_at)
     SELECT v.id, v.addr, v.amount,
       CASE WHEN EXISTS (SELECT 1 FROM node_holds h WHERE h.node_address = v.addr) THEN 'held' ELSE 'pending' END, $4, $5
     FROM unnest($1::text[], $2::text[], $3::bigint[]) AS v(id, addr, amount)
     RETURNING job_id, state`,
    [
      credits.map((c) => c.jobId),
      credits.map((c) => c.address),
      credits.map((c) => c.amountMicroUsd),
      at.toISOString(),
      new Date(at.getTime() + verificationWindowMs).toISOString(),
    ],
  );
  return new Set(rows.filter((r) => r.state === "held").map((r) => r.job_id));
}

/** What one run of {@link releaseDueCredits} moved. */
export interface ReleaseResult {
  readonly credits: number;
  readonly microUsd: number;
  readonly nodes: number;
}

/**
 * Makes up to `limit` credits whose window has passed available, oldest first, in one
 * transaction; credits of a node on hold stay. Safe to run from several coordinators at once:
 * each run locks the rows it takes and skips rows another run holds, and a credit leaves
 * `pending` once only.
 */
export async function releaseDueCredits(db: Database, now: Date, limit: number): Promise<ReleaseResult> {
  if (!Number.isInteger(limit) || limit <= 0) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  return db.transaction(async (tx) => {
    const due = await tx.query<{ job_id: string; node_address: string; amount: unknown }>(
      `SELECT job_id, node_address, amount_micro_usd AS amount FROM node_credits c
       WHERE state = 'pending' AND available_at <= $1
         AND NOT EXISTS (SELECT 1 FROM node_holds h WHERE h.node_address = c.node_address)
       ORDER BY available_at, job_id LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [now.toISOString(), limit],
    );
    if (due.rows.length === 0) return { credits: 0, microUsd: 0, nodes: 0 };
    const moved = await tx.query<{ node_address: string; amount: unknown }>(
      `UPDATE node_credits SET state = 'available', released_at = $2
       WHERE job_id = ANY($1::text[]) AND state = 'pending' RETURNING node_address, amount_micro_usd AS amount`,
      [due.rows.map((r) => r.job_id), now.toISOString()],
    );
    const byNode = new Map<string, number>();
    for (const row of moved.rows) byNode.set(row.node_address, (byNode.get(row.node_address) ?? 0) + toSafeInteger(row.amount));
    // Nodes in address order: two runs touching the same nodes lock their balances in one order.
    const nodes = [...byNode.keys()].sort();
    const batch = randomUUID();
    let microUsd = 0;
    for (const address of nodes) {
      const amount = byNode.get(address) ?? 0;
      microUsd += amount;
      await postTransfer(
        tx,
        `release:${address}:${batch}`,
        null,
        [
          { accountId: nodePendingAccountId(address), amountMicroUsd: -amount, kind: "earning_release" },
          { accountId: nodeAccountId(address), amountMicroUsd: amount, kind: "earning_release" },
        ],
        now,
      );
    }
    return { credits: moved.rows.length, microUsd, nodes: nodes.length };
  });
}

/**
 * Puts a node on hold: its pending credits move to the held account and stay there, and credits
 * settled while the hold lasts land there too. Holding a held node updates the reason only.
 * Returns what is held now.
 */
export async function holdNode(db: Database, address: string, reason: string, at: Date): Promise<{ heldMicroUsd: number; credits: number }> {
  const node = address.toLowerCase();
  const why = reason.trim().slice(0, 500);
  if (why === "") throw new RangeError("a hold needs a reason");
  return db.transaction(async (tx) => {
    await lockNode(tx, node);
    await tx.query(
      `INSERT INTO node_holds (node_address, reason, held_at) VALUES ($1, $2, $3) ON CONFLICT (node_address) DO UPDATE SET reason = EXCLUDED.reason`,
      [node, why, at.toISOString()],
    );
    const moved = await tx.query<{ amount: unknown }>(
      `UPDATE node_credits SET state = 'held' WHERE node_address = $1 AND state = 'pending' RETURNING amount_micro_usd AS amount`,
      [node],
    );
    const amount = moved.rows.reduce((sum, r) => sum + toSafeInteger(r.amount), 0);
    await postTransfer(
      tx,
      `hold:${node}:${randomUUID()}`,
      null,
      [
        { accountId: nodePendingAccountId(node), amountMicroUsd: -amount, kind: "earning_hold" },
        { accountId: nodeHeldAccountId(node), amountMicroUsd: amount, kind: "earning_hold" },
      ],
      at,
    );
    const held = await tx.query<{ n: unknown; s: unknown }>(
      `SELECT COUNT(*) AS n, COALESCE(SUM(amount_micro_usd), 0) AS s FROM node_credits WHERE node_address = $1 AND state = 'held'`,
      [node],
    );
    return { heldMicroUsd: toSafeInteger(held.rows[0]?.s), credits: toSafeInteger(held.rows[0]?.n) };
  });
}

/**
 * Lifts a node's hold: its held credits are pending again and become available when their own
 * window has passed (at the next release). Returns false when the node was not on hold.
 */
export async function liftHold(db: Database, address: string, at: Date): Promise<boolean> {
  const node = address.toLowerCase();
  return db.transaction(async (tx) => {
    await lockNode(tx, node);
    const removed = await tx.query(`DELETE FROM node_holds WHERE node_address = $1 RETURNING node_address`, [node]);
    if (removed.rows.length === 0) return false;
    const moved = await tx.query<{ amount: unknown }>(
      `UPDATE node_credits SET state = 'pending' WHERE node_address = $1 AND state = 'held' RETURNING amount_micro_usd AS amount`,
      [node],
    );
    const amount = moved.rows.reduce((sum, r) => sum + toSafeInteger(r.amount), 0);
    await postTransfer(
      tx,
      `unhold:${node}:${randomUUID()}`,
      null,
      [
        { accountId: nodeHeldAccountId(node), amountMicroUsd: -amount, kind: "earning_unhold" },
        { accountId: nodePendingAccountId(node), amountMicroUsd: amount, kind: "earning_unhold" },
      ],
      at,
    );
    return true;
  });
}

/** The node's hold, or null. */
export async function nodeHold(q: Queryable, address: string): Promise<{ reason: string; since: Date } | null> {
  const { rows } = await q.query<{ reason: string; held_at: Date | string }>(`SELECT reason, held_at FROM node_holds WHERE node_address = $1`, [
    address.toLowerCase(),
  ]);
  const row = rows[0];
  return row ? { reason: row.reason, since: new Date(row.held_at) } : null;
}

/**
 * What a node earned since the start of the UTC day of `at`, and its balance not yet withdrawn
 * (available + pending + held): the figures a settlement reports to the node.
 */
export async function nodeTotalsIn(q: Queryable, address: string, at: Date): Promise<{ balanceMicroUsd: number; todayMicroUsd: number }> {
  const a = address.toLowerCase();
  return (await nodeTotalsOfMany(q, [a], at)).get(a) as { balanceMicroUsd: number; todayMicroUsd: number };
}

/** {@link nodeTotalsIn} for several nodes (lower-case addresses) in one statement. */
export async function nodeTotalsOfMany(
  q: Queryable,
  addresses: readonly string[],
  at: Date,
): Promise<Map<string, { balanceMicroUsd: number; todayMicroUsd: number }>> {
  // Today's credits from node_credits (one row per job, indexed by node and time).
  const { rows } = await q.query<{ a: string; b: unknown; t: unknown }>(
    `SELECT n.a,
            (SELECT COALESCE(SUM(balance_micro_usd), 0) FROM balances WHERE account_id IN (n.pending, n.held, n.available)) AS b,
            (SELECT COALESCE(SUM(amount_micro_usd), 0) FROM node_credits WHERE node_address = n.a AND credited_at >= $5 AND state <> 'refunded') AS t
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS n(a, pending, held, available)`,
    [addresses, addresses.map(nodePendingAccountId), addresses.map(nodeHeldAccountId), addresses.map(nodeAccountId), startOfUtcDay(at).toISOString()],
  );
  return new Map(rows.map((r) => [r.a, { balanceMicroUsd: Math.max(0, toSafeInteger(r.b)), todayMicroUsd: Math.max(0, toSafeInteger(r.t)) }]));
}

/** A node's full earnings: available, pending, held, withdrawn, lifetime and today. */
export async function nodeEarningsIn(q: Queryable, address: string, at: Date): Promise<NodeEarnings> {
  const [pending, held, available] = [nodePendingAccountId(address), nodeHeldAccountId(address), nodeAccountId(address)];
  const balances = await q.query<{ account_id: string; b: unknown }>(
    `SELECT account_id, balance_micro_usd AS b FROM balances WHERE account_id = ANY($1::text[])`,
    [[pending, held, available]],
  );
  const balanceOf = (id: string) => toSafeInteger(balances.rows.find((r) => r.account_id === id)?.b);
  // Lifetime is net of credits refunded to consumers (job-refunds.ts); today counts the credits
  // of today that still stand.
  const sums = await q.query<{ lifetime: unknown; today: unknown; withdrawn: unknown }>(
    `SELECT
       COALESCE(SUM(amount_micro_usd) FILTER (WHERE kind IN ('job_earning', 'earning_refund')), 0) AS lifetime,
       (SELECT COALESCE(SUM(amount_micro_usd), 0) FROM node_credits WHERE node_address = $4 AND credited_at >= $2 AND state <> 'refunded') AS today,
       COALESCE(-SUM(amount_micro_usd) FILTER (WHERE kind LIKE 'withdrawal%' AND account_id = $3), 0) AS withdrawn
     FROM ledger_entries WHERE account_id = ANY($1::text[])`,
    [[pending, held, available], startOfUtcDay(at).toISOString(), available, address.toLowerCase()],
  );
  const row = sums.rows[0];
  return {
    availableMicroUsd: balanceOf(available),
    pendingMicroUsd: balanceOf(pending),
    heldMicroUsd: balanceOf(held),
    withdrawnMicroUsd: Math.max(0, toSafeInteger(row?.withdrawn)),
    lifetimeMicroUsd: toSafeInteger(row?.lifetime),
    todayMicroUsd: toSafeInteger(row?.today),
  };
}
