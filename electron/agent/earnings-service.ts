/**
 * The owner's earnings view for a period: the coordinator's balances, chart and credited jobs,
 * joined with the node's own receipt record and reconciled — differences are shown, never
 * hidden. When the coordinator cannot be asked, the view still holds this node's receipts.
 */
import { EARNINGS_RANGE_MS, EARNINGS_VIEW_MAX_ROWS, type EarningsBucket, type EarningsRange, type EarningsView } from "../../shared/earnings-view";
import type { Result } from "../../shared/control-api";
import type { CoordinatorEarnings, EarningsClient } from "./coordinator-earnings";
import { reconcile } from "./earnings-reconcile";
import type { ReceiptLog } from "./receipt-log";

/** Most of the coordinator's records compared in one view. */
export const MAX_COMPARED_JOBS = 2_000;

export interface EarningsServiceOptions {
  /** The node's address now ("" while its wallet is not open). */
  readonly address: () => string;
  readonly log: Pick<ReceiptLog, "read">;
  readonly client: Pick<EarningsClient, "since">;
  /** The model served now (its price gives the live rate). */
  readonly model: () => string | null;
  readonly now?: () => number;
}

/** The chart's buckets for a range: the last 24 hours, or the last 7 or 30 days. */
function seriesFor(range: EarningsRange, report: CoordinatorEarnings["report"] | null): { unit: "hour" | "day"; points: EarningsBucket[] } {
  if (range === "24h") return { unit: "hour", points: report ? report.hourly.slice(-24) : [] };
  return { unit: "day", points: report ? report.daily.slice(range === "7d" ? -7 : -30) : [] };
}

/** Builds earnings views for the agent's `getEarnings`. */
export class EarningsService {
  constructor(private readonly options: EarningsServiceOptions) {}

  async view(range: EarningsRange): Promise<Result<EarningsView>> {
    const now = (this.options.now ?? Date.now)();
    const since = now - EARNINGS_RANGE_MS[range];
    let local: Awaited<ReturnType<ReceiptLog["read"]>>;
    try {
      local = await this.options.log.read();
    } catch (error) {
      return { ok: false, error: `This node's receipt record could not be read: ${(error as Error).message}` };
    }
    let remote: CoordinatorEarnings | null = null;
    let coordinatorError: string | null = null;
    try {
      remote = await this.options.client.since(since, MAX_COMPARED_JOBS, this.options.model());
    } catch (error) {
      coordinatorError = (error as Error).message;
    }
    const report = remote?.report ?? null;
    const { rows, reconciliation } = reconcile({
      local: local.receipts,
      damagedLines: local.damagedLines,
      credited: remote?.jobs ?? null,
      truncated: remote?.truncated ?? false,
      since,
      now,
      holdReason: report?.hold?.reason ?? null,
    });
    return {
      ok: true,
      value: {
        range,
        generatedAt: now,
        address: this.options.address(),
        coordinator: report
          ? { balances: report.balances, hold: report.hold, verificationWindowMs: report.verificationWindowMs, feeBps: report.feeBps, price: report.price }
          : null,
        coordinatorError,
        series: seriesFor(range, report),
        rows: rows.slice(0, EARNINGS_VIEW_MAX_ROWS),
        totalRows: rows.length,
        reconciliation,
      },
    };
  }
}
