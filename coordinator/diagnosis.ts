/**
 * "Why am I not getting jobs", as the coordinator sees it: whether a node counts as sharing, the
 * demand for its model in the last hour, the other nodes serving it and the requests waiting,
 * each said in a plain sentence. Computed from the coordinator's own state only.
 */
import type { DiagnosisView, NodeStatus } from "../shared/protocol";
import type { Queryable } from "./db";

const HOUR_MS = 3_600_000;

/** Another connected node, as the hub knows it. */
export interface PeerNode {
  readonly sharing: boolean;
  readonly models: readonly string[];
  readonly capacity: number;
}

/** What the diagnosis is drawn from. */
export interface DiagnosisInput {
  /** The node's wallet address (lowercase, as the ledger keeps it). */
  readonly address: string;
  /** The node's last status, or null when it sent none. */
  readonly status: NodeStatus | null;
  /** The other logged-in nodes. */
  readonly peers: readonly PeerNode[];
  /** Requests waiting for a free slot on `model` now. */
  readonly queued: (model: string) => number;
  readonly db: Queryable;
  readonly now: Date;
  /** Set while verification keeps the node out of routing. */
  readonly quarantine?: { readonly reason: string; readonly since: Date } | null;
}

/** Whether the coordinator would route a job to a node with this status. */
export function seesSharing(status: NodeStatus | null): boolean {
  return status !== null && status.sharing && status.capacity > 0 && status.models.length > 0;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Computes the coordinator's view of one node. */
export async function diagnoseNode(input: DiagnosisInput): Promise<DiagnosisView> {
  const models = input.status?.models.map((m) => m.id) ?? [];
  const since = new Date(input.now.getTime() - HOUR_MS);
  const seenSharing = seesSharing(input.status);
  let jobsLastHour = 0;
  let servedLastHour = 0;
  if (models.length > 0) {
    const demand = await input.db.query<{ n: string | number }>(
      `SELECT count(*) AS n FROM jobs WHERE model = ANY($1::text[]) AND created_at >= $2 AND parent_job_id IS NULL`,
      [models, since],
    );
    jobsLastHour = Number(demand.rows[0]?.n ?? 0);
  }
  const served = await input.db.query<{ n: string | number }>(
    `SELECT count(*) AS n FROM jobs WHERE node_address = $1 AND status = 'settled' AND created_at >= $2`,
    [input.address, since],
  );
  servedLastHour = Number(served.rows[0]?.n ?? 0);
  const otherNodes = input.peers.filter((p) => p.sharing && p.capacity > 0 && p.models.some((m) => models.includes(m))).length;
  const queued = models.reduce((sum, m) => sum + input.queued(m), 0);

  const modelName = models.length > 0 ? models.join(", ") : "its model";
  const notes: string[] = [];
  if (input.status === null) notes.push("The coordinator has not received this node's status yet");
  else if (models.length === 0) notes.push("This node offers no model to the coordinator (the model is not loaded)");
  else if (!seenSharing) notes.push(`The coordinator sees this node as not sharing: ${input.status.reason}`);
  if (models.length > 0 && jobsLastHour === 0) notes.push(`No demand for ${modelName} in the last hour`);
  if (otherNodes > 0) notes.push(`${plural(otherNodes, "other node serves", "other nodes serve")} ${modelName}`);
  if (queued > 0) notes.push(`${plural(queued, "request is", "requests are")} waiting for ${modelName}`);
  // Said once, as its own field: the node's Diagnostics page shows it above the notes.
  const quarantine = input.quarantine ? { reason: input.quarantine.reason, since: input.quarantine.since.toISOString() } : undefined;
  return { seenSharing: seenSharing && !quarantine, jobsLastHour, servedLastHour, otherNodes, queued, notes, ...(quarantine ? { quarantine } : {}) };
}
