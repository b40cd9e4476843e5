/**
 * Earnings views for UI tests: a node with credits in every state, a chart for each period, and
 * a reconciliation that found one receipt missing at the coordinator and one credit still pending;
 * and the same node after the coordinator refunded one of its jobs to the consumer.
 */
import { EARNINGS_RANGE_MS, type EarningsBucket, type EarningsRange, type EarningsRow, type EarningsView } from "../../shared/earnings-view";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The chart of a period ending at `now`: a few hours (or days) with earnings, the rest empty. */
function series(range: EarningsRange, now: number): EarningsView["series"] {
  const unit = range === "24h" ? "hour" : "day";
  const size = unit === "hour" ? HOUR : DAY;
  const count = range === "24h" ? 24 : range === "7d" ? 7 : 30;
  const last = Math.floor(now / size);
  const points: EarningsBucket[] = Array.from({ length: count }, (_, i) => {
    const earned = i % 3 === 0 ? 1_000 * (i + 1) : 0;
    return { start: (last - count + 1 + i) * size, microUsd: earned, jobs: earned > 0 ? i + 1 : 0 };
  });
  return { unit, points };
}

function row(overrides: Partial<EarningsRow> & Pick<EarningsRow, "jobId" | "at" | "state">): EarningsRow {
  return {
    model: "offpeak-demo-tiny",
    promptTokens: 12,
    completionTokens: 48,
    amountMicroUsd: 2_160,
    availableAt: overrides.at + DAY,
    outputHash: `0x${"ab".repeat(32)}`,
    signature: `0x${"5c".repeat(65)}`,
    difference: null,
    refund: null,
    ...overrides,
  };
}

/** A view of the period `range` ending at `now`. */
export function sampleEarningsView(range: EarningsRange = "24h", now = Date.now()): EarningsView {
  const rows: EarningsRow[] = [
    row({ jobId: "job_recent_pending", at: now - 5 * 60_000, state: "pending" }),
    row({ jobId: "job_missing_at_coordinator", at: now - 30 * 60_000, state: "missing", amountMicroUsd: null, availableAt: null }),
    row({ jobId: "job_old_pending", at: now - 2 * HOUR, state: "pending", completionTokens: 64, amountMicroUsd: 2_880 }),
    row({ jobId: "job_available", at: now - Math.min(EARNINGS_RANGE_MS[range] - HOUR, 26 * HOUR), state: "available", amountMicroUsd: 1_440 }),
  ];
  return {
    range,
    generatedAt: now,
    address: "0x5b3E6f1c0D7A4c2b9E8F3a1d6C0b7e4A2f9D1c38",
    coordinator: {
      balances: {
        availableMicroUsd: 12_500_000,
        pendingMicroUsd: 5_040,
        heldMicroUsd: 0,
        withdrawnMicroUsd: 3_000_000,
        lifetimeMicroUsd: 15_505_040,
        todayMicroUsd: 5_040,
      },
      hold: null,
      verificationWindowMs: DAY,
      feeBps: 1_000,
      price: { inputMicroUsdPerMTok: 100_000, outputMicroUsdPerMTok: 50_000_000 },
    },
    coordinatorError: null,
    series: series(range, now),
    rows,
    totalRows: rows.length,
    reconciliation: {
      signed: 4,
      pending: 2,
      held: 0,
      available: 1,
      refunded: 0,
      inFlight: 0,
      missingAtCoordinator: 1,
      missingLocally: 0,
      differences: 0,
      damagedLines: 0,
      truncated: false,
      notes: ["2 receipts pending: credited, available once the verification window ends.", "1 receipt missing at the coordinator."],
    },
  };
}

/** What the coordinator recorded for the refund in {@link refundedEarningsView}. */
export const SAMPLE_REFUND_REASON = "the node that served this failed verification: a known-answer check got a different answer";

/** The sample view with one more job, credited and then refunded to its consumer. */
export function refundedEarningsView(range: EarningsRange = "24h", now = Date.now()): EarningsView {
  const sample = sampleEarningsView(range, now);
  const at = now - HOUR;
  const refunded = row({ jobId: "job_refunded", at, state: "refunded", amountMicroUsd: 0, refund: { at: at + 10 * 60_000, microUsd: 2_160, reason: SAMPLE_REFUND_REASON } });
  const rows = [...sample.rows, refunded].sort((a, b) => b.at - a.at);
  return {
    ...sample,
    rows,
    totalRows: rows.length,
    reconciliation: {
      ...sample.reconciliation,
      signed: sample.reconciliation.signed + 1,
      refunded: 1,
      notes: [
        sample.reconciliation.notes[0] ?? "",
        `1 job was refunded to its consumer after a failed verification: ${SAMPLE_REFUND_REASON}.`,
        ...sample.reconciliation.notes.slice(1),
      ],
    },
  };
}

/** A view with nothing earned yet. */
export function emptyEarningsView(range: EarningsRange = "24h", now = Date.now()): EarningsView {
  const sample = sampleEarningsView(range, now);
  return {
    ...sample,
    coordinator: sample.coordinator && {
      ...sample.coordinator,
      balances: { availableMicroUsd: 0, pendingMicroUsd: 0, heldMicroUsd: 0, withdrawnMicroUsd: 0, lifetimeMicroUsd: 0, todayMicroUsd: 0 },
    },
    series: { ...sample.series, points: sample.series.points.map((p) => ({ ...p, microUsd: 0, jobs: 0 })) },
    rows: [],
    totalRows: 0,
    reconciliation: { ...sample.reconciliation, signed: 0, pending: 0, available: 0, missingAtCoordinator: 0, notes: [] },
  };
}
