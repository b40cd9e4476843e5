/**
 * Compares the receipts this node signed with the jobs the coordinator credited, over a period:
 * each job becomes one row (credited and where the credit stands, refunded to its consumer,
 * missing on one side, just signed, or not checked), disagreements between the two records are
 * named, and the findings are summed up in sentences the owner reads. Pure: no I/O.
 */
import type { CreditedJob, EarningsRow, Reconciliation } from "../../shared/earnings-view";
import { formatUsd } from "../../shared/money";
import type { LocalReceipt } from "./receipt-log";

/** A receipt signed this recently may still be settling at the coordinator. */
export const IN_FLIGHT_MS = 2 * 60_000;

export interface ReconcileInput {
  /** Every receipt in the node's record for this coordinator (any age). */
  readonly local: readonly LocalReceipt[];
  /** Lines of the record that could not be read. */
  readonly damagedLines: number;
  /** The coordinator's credited jobs from `since` on, newest first; null when it could not be asked. */
  readonly credited: readonly CreditedJob[] | null;
  /** True when the coordinator had more jobs in the period than `credited` holds (the oldest are missing). */
  readonly truncated: boolean;
  readonly since: number;
  readonly now: number;
  /** The hold's reason, when the coordinator holds this node's credits. */
  readonly holdReason?: string | null;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** Most distinct refund reasons one note quotes. */
const QUOTED_REASONS = 3;

/** "N jobs were refunded to their consumers after a failed verification: <the reasons>." */
function refundNote(reasons: readonly string[]): string {
  const n = reasons.length;
  const distinct = [...new Set(reasons.map((r) => r.trim().replace(/\.+$/, "")).filter((r) => r !== ""))];
  const quoted = distinct.slice(0, QUOTED_REASONS).join("; ");
  const more = distinct.length > QUOTED_REASONS ? `; and ${plural(distinct.length - QUOTED_REASONS, "other reason", "other reasons")}` : "";
  const head = `${plural(n, "job was", "jobs were")} refunded to ${n === 1 ? "its consumer" : "their consumers"} after a failed verification`;
  return quoted === "" ? `${head}.` : `${head}: ${quoted}${more}.`;
}

function difference(local: LocalReceipt, job: CreditedJob): string | null {
  const found: string[] = [];
  if (local.promptTokens !== job.promptTokens || local.completionTokens !== job.completionTokens) {
    found.push(`tokens: ${local.promptTokens} + ${local.completionTokens} here, ${job.promptTokens} + ${job.completionTokens} at the coordinator`);
  }
  if (local.outputHash.toLowerCase() !== job.outputHash.toLowerCase()) found.push("the output hash differs");
  // A refunded credit is worth 0 now; what was announced is compared with what was credited.
  const credited = job.state === "refunded" ? (job.refund?.microUsd ?? null) : job.amountMicroUsd;
  if (local.creditedMicroUsd !== null && credited !== null && local.creditedMicroUsd !== credited) {
    found.push(`amount: ${formatUsd(local.creditedMicroUsd)} announced, ${formatUsd(credited)} in the ledger`);
  }
  return found.length > 0 ? found.join("; ") : null;
}

function rowOfLocal(r: LocalReceipt, state: EarningsRow["state"]): EarningsRow {
  return {
    jobId: r.jobId,
    at: r.signedAt,
    model: r.model,
    promptTokens: r.promptTokens,
    completionTokens: r.completionTokens,
    amountMicroUsd: null,
    state,
    availableAt: null,
    outputHash: r.outputHash,
    signature: r.signature,
    difference: null,
    refund: null,
  };
}

/** The rows of the period, newest first, and what the comparison found. */
export function reconcile(input: ReconcileInput): { rows: EarningsRow[]; reconciliation: Reconciliation } {
  const byJob = new Map(input.local.map((r) => [r.jobId, r]));
  const rows: EarningsRow[] = [];
  const counts = { pending: 0, held: 0, available: 0, refunded: 0, inFlight: 0, missingAtCoordinator: 0, missingLocally: 0, differences: 0 };
  const refundReasons: string[] = [];
  const seen = new Set<string>();

  for (const job of input.credited ?? []) {
    seen.add(job.jobId);
    const local = byJob.get(job.jobId);
    const diff = local ? difference(local, job) : null;
    if (diff) counts.differences++;
    if (!local) counts.missingLocally++;
    else counts[job.state]++;
    if (local && job.state === "refunded") refundReasons.push(job.refund?.reason ?? "");
    rows.push({
      jobId: job.jobId,
      at: job.at,
      model: job.model,
      promptTokens: job.promptTokens,
      completionTokens: job.completionTokens,
      amountMicroUsd: job.amountMicroUsd,
      state: local ? job.state : "unrecorded",
      availableAt: job.availableAt,
      outputHash: job.outputHash,
      signature: job.signature,
      difference: diff,
      refund: job.refund,
    });
  }

  // The oldest credit compared: older receipts are beyond what the coordinator was asked for.
  const oldestCompared = input.truncated ? (input.credited?.at(-1)?.at ?? input.now) : input.since;
  const signedInPeriod = input.local.filter((r) => r.signedAt >= input.since);
  for (const r of signedInPeriod) {
    if (seen.has(r.jobId)) continue;
    if (input.credited === null || r.signedAt < oldestCompared) rows.push(rowOfLocal(r, "unchecked"));
    else if (input.now - r.signedAt < IN_FLIGHT_MS) {
      counts.inFlight++;
      rows.push(rowOfLocal(r, "in-flight"));
    } else {
      counts.missingAtCoordinator++;
      rows.push(rowOfLocal(r, "missing"));
    }
  }
  rows.sort((a, b) => b.at - a.at || (a.jobId < b.jobId ? 1 : -1));

  const notes: string[] = [];
  if (input.credited === null) {
    const unchecked = rows.length;
    if (unchecked > 0) notes.push(`${plural(unchecked, "receipt", "receipts")} signed here could not be checked: the coordinator did not answer.`);
  } else {
    if (counts.pending > 0) notes.push(`${plural(counts.pending, "receipt", "receipts")} pending: credited, available once the verification window ends.`);
    if (counts.held > 0) notes.push(`${plural(counts.held, "receipt is", "receipts are")} held by the coordinator${input.holdReason ? `: ${input.holdReason}` : ""}.`);
    if (counts.refunded > 0) notes.push(refundNote(refundReasons));
    if (counts.inFlight > 0) notes.push(`${plural(counts.inFlight, "receipt", "receipts")} not credited yet: just signed, the coordinator is settling ${counts.inFlight === 1 ? "it" : "them"}.`);
    if (counts.missingAtCoordinator > 0) notes.push(`${plural(counts.missingAtCoordinator, "receipt", "receipts")} missing at the coordinator.`);
    if (counts.missingLocally > 0) notes.push(`${plural(counts.missingLocally, "credit", "credits")} at the coordinator with no receipt in this node's record.`);
    if (counts.differences > 0) notes.push(`${plural(counts.differences, "job differs", "jobs differ")} between this node's record and the coordinator's.`);
    if (input.truncated) notes.push(`Only the latest ${plural(input.credited.length, "credited job was", "credited jobs were")} compared.`);
  }
  if (input.damagedLines > 0) notes.push(`${plural(input.damagedLines, "line", "lines")} of this node's receipt record could not be read.`);

  return {
    rows,
    reconciliation: {
      signed: signedInPeriod.length,
      ...counts,
      damagedLines: input.damagedLines,
      truncated: input.truncated,
      notes,
    },
  };
}
