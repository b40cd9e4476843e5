/** Speed of the last job, or an empty state before the first one. */
import type { NodeState } from "../../shared/control-api";
import { formatTokensPerSecond } from "../format";

export function LastJobPanel(props: { lastJob: NodeState["lastJob"]; sharing: boolean }) {
  const job = props.lastJob;
  return (
    <section className="card" aria-labelledby="last-job-heading">
      <h2 id="last-job-heading">Last job</h2>
      {job ? (
        <>
          <p className="figure-value big" data-testid="tokens-per-second">
            {formatTokensPerSecond(job.tokensPerSecond)}
          </p>
          <p className="muted">
            {job.completionTokens} tokens of {job.model}, finished{" "}
            <time dateTime={new Date(job.finishedAt).toISOString()}>{new Date(job.finishedAt).toLocaleTimeString()}</time>
          </p>
        </>
      ) : (
        <p className="empty" data-testid="tokens-per-second">
          {props.sharing ? "No jobs yet. They show up here as they arrive." : "No jobs yet. Switch sharing on to receive some."}
        </p>
      )}
    </section>
  );
}
