/**
 * Owners' appeals against a node's quarantine, in `node_appeals`: filing one (at most one open
 * per node, a few per quarantine), the operator's decision, and the node's standing — its
 * quarantine, latest appeal, held earnings and when they are forfeited. Held earnings are
 * forfeited once the appeal window has passed since the hold, not counting the time appeals
 * were open (appeal-expiry.ts does it).
 */
import type { AppealView, StandingReport } from "../shared/appeal";
import { toSafeInteger, type Database, type Queryable } from "./db";
import { lockNode, nodeHeldAccountId } from "./node-credits";

/** Appeals a node may file against one quarantine. */
export const APPEALS_PER_QUARANTINE = 3;

/** Time after the hold at which held earnings are forfeited unless an appeal is upheld, unless configured: 30 days. */
export const DEFAULT_APPEAL_WINDOW_MS = 30 * 24 * 3_600_000;

interface AppealRow {
  id: unknown;
  node_address: string;
  statement: string;
  status: AppealView["status"];
  decision_reason: string | null;
  created_at: Date | string;
  decided_at: Date | string | null;
}

const COLUMNS = `id, node_address, statement, status, decision_reason, created_at, decided_at`;

const ms = (value: Date | string) => new Date(value).getTime();

function viewOf(row: AppealRow): AppealView {
  return {
    id: String(row.id),
    status: row.status,
    statement: row.statement,
    createdAt: ms(row.created_at),
    decidedAt: row.decided_at === null ? null : ms(row.decided_at),
    reason: row.decision_reason,
  };
}

/** An appeal with the node it is for, as the operator lists it. */
export interface AdminAppealView extends AppealView {
  readonly address: string;
}

/** Why an appeal was not filed. */
export type FileRefusal = { readonly ok: false; readonly code: "not_quarantined" | "appeal_open" | "too_many_appeals" | "already_filed"; readonly message: string };

/** What filing an appeal does. */
export interface FileInput {
  readonly address: string;
  readonly statement: string;
  /** Epoch ms the node signed at (with the address, it identifies the signed appeal). */
  readonly signedAt: number;
  readonly signature: string;
  readonly at: Date;
}

/**
 * Files an appeal for the node's current quarantine, in one transaction under the node's lock
 * (so the forfeiture of its held earnings and the filing never cross).
 */
export async function fileAppeal(db: Database, input: FileInput): Promise<{ readonly ok: true; readonly appeal: AppealView } | FileRefusal> {
  const address = input.address.toLowerCase();
  return db.transaction(async (tx) => {
    await lockNode(tx, address);
    const q = await tx.query<{ quarantined_at: Date | string | null }>(`SELECT quarantined_at FROM node_reputation WHERE address = $1`, [address]);
    const quarantinedAt = q.rows[0]?.quarantined_at ?? null;
    if (quarantinedAt === null) return { ok: false, code: "not_quarantined", message: "This node is not quarantined: there is nothing to appeal." } as const;
    const { rows } = await tx.query<{ open: unknown; filed: unknown; same: unknown }>(
      `SELECT COUNT(*) FILTER (WHERE status = 'open') AS open, COUNT(*) FILTER (WHERE quarantined_at = $2) AS filed,
              COUNT(*) FILTER (WHERE signed_at = $3) AS same
       FROM node_appeals WHERE node_address = $1`,
      [address, new Date(quarantinedAt).toISOString(), input.signedAt],
    );
    const counts = rows[0];
    if (toSafeInteger(counts?.same) > 0) return { ok: false, code: "already_filed", message: "This signed appeal was filed already; sign a new one." } as const;
    if (toSafeInteger(counts?.open) > 0) return { ok: false, code: "appeal_open", message: "An appeal of this node is already open: wait for the operator's decision." } as const;
    if (toSafeInteger(counts?.filed) >= APPEALS_PER_QUARANTINE) {
      return { ok: false, code: "too_many_appeals", message: `This quarantine was appealed ${APPEALS_PER_QUARANTINE} times already; no more appeals are taken for it.` } as const;
    }
    const inserted = await tx.query<AppealRow>(
      `INSERT INTO node_appeals (node_address, statement, signed_at, signature, status, quarantined_at, created_at)
       VALUES ($1, $2, $3, $4, 'open', $5, $6) RETURNING ${COLUMNS}`,
      [address, input.statement, input.signedAt, input.signature, new Date(quarantinedAt).toISOString(), input.at.toISOString()],
    );
    return { ok: true, appeal: viewOf(inserted.rows[0] as AppealRow) } as const;
  });
}

/** Appeals, newest first, of one status or all (at most `limit`). */
export async function listAppeals(q: Queryable, status: AppealView["status"] | null, limit = 200): Promise<AdminAppealView[]> {
  const { rows } = await q.query<AppealRow>(
    `SELECT ${COLUMNS} FROM node_appeals WHERE ($1::text IS NULL OR status = $1) ORDER BY created_at DESC, id DESC LIMIT $2`,
    [status, limit],
  );
  return rows.map((r) => ({ ...viewOf(r), address: r.node_address }));
}

/** One appeal, or null. */
export async function appealById(q: Queryable, id: string): Promise<AdminAppealView | null> {
  if (!/^\d{1,18}$/.test(id)) return null;
  const { rows } = await q.query<AppealRow>(`SELECT ${COLUMNS} FROM node_appeals WHERE id = $1`, [id]);
  const row = rows[0];
  return row ? { ...viewOf(row), address: row.node_address } : null;
}

/** Rejects an open appeal with the operator's reason; null when it is not open. */
export async function rejectAppeal(q: Queryable, id: string, reason: string, at: Date): Promise<AdminAppealView | null> {
  const { rows } = await q.query<AppealRow>(
    `UPDATE node_appeals SET status = 'rejected', decision_reason = $2, decided_at = $3 WHERE id = $1 AND status = 'open' RETURNING ${COLUMNS}`,
    [id, reason, at.toISOString()],
  );
  const row = rows[0];
  return row ? { ...viewOf(row), address: row.node_address } : null;
}

/** Marks the node's open appeal upheld (its quarantine was lifted); false when none was open. */
export async function upholdOpenAppeal(q: Queryable, address: string, at: Date): Promise<boolean> {
  const { rows } = await q.query(`UPDATE node_appeals SET status = 'upheld', decided_at = $2 WHERE node_address = $1 AND status = 'open' RETURNING id`, [
    address.toLowerCase(),
    at.toISOString(),
  ]);
  return rows.length > 0;
}

/**
 * When the node's held earnings are forfeited: the hold's start plus the window plus the time its
 * appeals filed since were open. Null while an appeal is open (the clock is stopped).
 */
export async function forfeitTime(q: Queryable, address: string, heldAt: Date, windowMs: number): Promise<number | null> {
  const { rows } = await q.query<{ created_at: Date | string; decided_at: Date | string | null }>(
    `SELECT created_at, decided_at FROM node_appeals WHERE node_address = $1 AND created_at >= $2`,
    [address.toLowerCase(), heldAt.toISOString()],
  );
  let paused = 0;
  for (const row of rows) {
    if (row.decided_at === null) return null;
    paused += Math.max(0, ms(row.decided_at) - ms(row.created_at));
  }
  return heldAt.getTime() + windowMs + paused;
}

/** The node's standing as the coordinator's database says now. */
export async function standingOf(q: Queryable, address: string, windowMs: number): Promise<StandingReport> {
  const node = address.toLowerCase();
  const rep = await q.query<{ quarantined_at: Date | string | null; quarantine_reason: string | null }>(
    `SELECT quarantined_at, quarantine_reason FROM node_reputation WHERE address = $1`,
    [node],
  );
  const since = rep.rows[0]?.quarantined_at ?? null;
  const hold = await q.query<{ held_at: Date | string; held: unknown }>(
    `SELECT h.held_at, (SELECT COALESCE(SUM(balance_micro_usd), 0) FROM balances WHERE account_id = $2) AS held FROM node_holds h WHERE h.node_address = $1`,
    [node, nodeHeldAccountId(node)],
  );
  const latest = await q.query<AppealRow>(`SELECT ${COLUMNS} FROM node_appeals WHERE node_address = $1 ORDER BY created_at DESC, id DESC LIMIT 1`, [node]);
  const heldRow = hold.rows[0];
  const heldMicroUsd = Math.max(0, toSafeInteger(heldRow?.held));
  const forfeitAt = heldRow && since !== null && heldMicroUsd > 0 ? await forfeitTime(q, node, new Date(heldRow.held_at), windowMs) : null;
  return {
    quarantine: since === null ? null : { reason: rep.rows[0]?.quarantine_reason ?? "failed verification", since: ms(since) },
    appeal: latest.rows[0] ? viewOf(latest.rows[0]) : null,
    heldMicroUsd,
    forfeitAt,
  };
}
