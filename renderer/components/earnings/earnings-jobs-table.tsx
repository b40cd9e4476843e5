/**
 * The jobs of the period, newest first: when, model, tokens, what was credited, where the credit
 * stands (or what is wrong with it, or why it was refunded to the consumer), and the receipt it
 * rests on.
 */
import type { EarningsRow, EarningsView } from "../../../shared/earnings-view";
import { formatUsd } from "../../../shared/money";
import { jobNeedsAttention, jobStateLabel, refundNote } from "../../earnings-job-state";

function short(hex: string): string {
  return hex.length > 14 ? `${hex.slice(0, 8)}…${hex.slice(-4)}` : hex;
}

function when(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
}

function StatusCell(props: { row: EarningsRow }) {
  const { row } = props;
  const refund = refundNote(row);
  return (
    <td>
      <span className={`job-state job-state-${row.state}${jobNeedsAttention(row) ? " job-state-problem" : ""}`} data-testid="job-state">
        {jobStateLabel(row.state)}
      </span>
      {row.state === "pending" && row.availableAt !== null && <span className="job-note"> until {when(row.availableAt)}</span>}
      {refund !== null && (
        <span className="job-note job-refund" data-testid="job-refund">
          {refund}
        </span>
      )}
      {row.difference !== null && (
        <span className="job-note job-difference" data-testid="job-difference">
          {row.difference}
        </span>
      )}
    </td>
  );
}

export function EarningsJobsTable(props: { view: EarningsView }) {
  const { rows, totalRows } = props.view;
  return (
    <section className="card wide" aria-labelledby="jobs-heading">
      <h2 id="jobs-heading">Jobs</h2>
      {rows.length === 0 ? (
        <p className="empty" data-testid="jobs-empty">
          No jobs in this period yet. A job shows here as soon as this node serves one.
        </p>
      ) : (
        <>
          <div className="table-scroll">
            <table className="jobs-table" data-testid="jobs-table">
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Model</th>
                  <th scope="col" className="num">
                    Tokens
                  </th>
                  <th scope="col" className="num">
                    Amount
                  </th>
                  <th scope="col">Status</th>
                  <th scope="col">Receipt</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => (
                  <tr key={row.jobId} data-testid="job-row" data-job-id={row.jobId}>
                    <td>{when(row.at)}</td>
                    <td>{row.model}</td>
                    <td className="num" title={`${row.promptTokens} prompt + ${row.completionTokens} completion tokens`}>
                      {row.promptTokens + row.completionTokens}
                    </td>
                    <td className="num" data-testid="job-amount">
                      {row.amountMicroUsd === null ? "—" : formatUsd(row.amountMicroUsd)}
                    </td>
                    <StatusCell row={row} />
                    <td>
                      <details className="receipt">
                        <summary>
                          <code>{short(row.jobId)}</code>
                        </summary>
                        <dl className="facts receipt-facts">
                          <dt>Job</dt>
                          <dd>
                            <code>{row.jobId}</code>
                          </dd>
                          <dt>Output hash</dt>
                          <dd>
                            <code>{row.outputHash}</code>
                          </dd>
                          <dt>Signature</dt>
                          <dd>
                            <code>{row.signature}</code>
                          </dd>
                        </dl>
                      </details>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {totalRows > rows.length && (
            <p className="muted" data-testid="jobs-more">
              Showing the latest {rows.length} of {totalRows} jobs.
            </p>
          )}
        </>
      )}
    </section>
  );
}
