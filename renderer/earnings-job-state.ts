/**
 * How the Earnings page names where a job stands: a label for each state, whether it calls for
 * the owner's attention, and the note beside it (until when a credit is pending, what a refund
 * to the consumer took back and why).
 */
import type { EarningsRow } from "../shared/earnings-view";
import { formatUsd } from "../shared/money";

const STATE_LABELS: Readonly<Record<EarningsRow["state"], string>> = {
  pending: "Pending",
  held: "Held",
  available: "Available",
  refunded: "Refunded to the consumer",
  "in-flight": "Settling",
  missing: "Missing at the coordinator",
  unrecorded: "Not in this node's record",
  unchecked: "Not checked",
};

const PROBLEM: ReadonlySet<string> = new Set(["missing", "unrecorded", "held", "refunded"]);

/** The label of a state; a state this page does not know (from a newer agent) shows as named. */
export function jobStateLabel(state: EarningsRow["state"]): string {
  const label: string | undefined = STATE_LABELS[state];
  return label ?? String(state);
}

/** True when the row needs the owner's attention: money missing, held, taken back, or records that differ. */
export function jobNeedsAttention(row: Pick<EarningsRow, "state" | "difference">): boolean {
  return PROBLEM.has(row.state) || row.difference !== null;
}

/** The refund's note: "$0.00216 taken back: <the coordinator's reason>"; null when the row has no refund. */
export function refundNote(row: Pick<EarningsRow, "state" | "refund">): string | null {
  if (row.state !== "refunded" || row.refund === null) return null;
  const reason = row.refund.reason.trim();
  return `${formatUsd(row.refund.microUsd)} taken back${reason === "" ? "" : `: ${reason}`}`;
}
