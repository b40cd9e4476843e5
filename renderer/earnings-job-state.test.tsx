import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { earningsRowSchema, type EarningsRow } from "../shared/earnings-view";
import { refundedEarningsView, SAMPLE_REFUND_REASON } from "../tests/fake-electron/fake-earnings";
import { EarningsJobsTable } from "./components/earnings/earnings-jobs-table";
import { jobNeedsAttention, jobStateLabel, refundNote } from "./earnings-job-state";

const NOW = Date.UTC(2026, 5, 1, 12);

function rowOf(view: ReturnType<typeof refundedEarningsView>, jobId: string): EarningsRow {
  const row = view.rows.find((r) => r.jobId === jobId);
  if (!row) throw new Error(`no row ${jobId}`);
  return row;
}

describe("where a job stands on the Earnings page", () => {
  it("labels a refunded job as refunded to the consumer, with what was taken back and the coordinator's reason", () => {
    const refunded = rowOf(refundedEarningsView("24h", NOW), "job_refunded");
    expect(jobStateLabel(refunded.state)).toBe("Refunded to the consumer");
    expect(jobNeedsAttention(refunded)).toBe(true);
    expect(refundNote(refunded)).toBe(`$0.00216 taken back: ${SAMPLE_REFUND_REASON}`);
    expect(refundNote({ state: "refunded", refund: { at: NOW, microUsd: 5, reason: " " } })).toBe("$0.000005 taken back");
    // Other rows carry no refund note, and an available credit needs no attention.
    const available = rowOf(refundedEarningsView("24h", NOW), "job_available");
    expect(refundNote(available)).toBeNull();
    expect(jobNeedsAttention(available)).toBe(false);
  });

  it("names every state a view can hold, and shows one it does not know as named instead of failing", () => {
    for (const state of earningsRowSchema.shape.state.options) expect(jobStateLabel(state)).not.toBe(state);
    expect(jobStateLabel("clawed-back" as EarningsRow["state"])).toBe("clawed-back");
  });

  it("renders the refunded row in the jobs table with its label, $0.00 and the reason", () => {
    const html = renderToStaticMarkup(<EarningsJobsTable view={refundedEarningsView("24h", NOW)} />);
    const row = /<tr[^>]*data-job-id="job_refunded"[^>]*>(.*?)<\/tr>/s.exec(html)?.[1] ?? "";
    expect(row).toContain('class="job-state job-state-refunded job-state-problem" data-testid="job-state">Refunded to the consumer</span>');
    expect(row).toContain('data-testid="job-amount">$0.00</td>');
    expect(row).toContain(`data-testid="job-refund">$0.00216 taken back: ${SAMPLE_REFUND_REASON}</span>`);
    expect(html.match(/data-testid="job-row"/g)).toHaveLength(5);
  });
});
