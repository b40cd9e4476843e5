/** What the node is doing and why, with the Share switch beside it. */
import type { NodeActivity, NodeState } from "../../shared/control-api";
import { ShareSwitch } from "./share-switch";

const ACTIVITY_LABELS: Record<NodeActivity, string> = {
  earning: "Earning",
  ready: "Ready",
  paused: "Paused",
  off: "Off",
  connecting: "Connecting",
  error: "Error",
};

/** The reason without its "Ready:" prefix, which the activity label already says. */
function reasonText(state: NodeState): string {
  const label = ACTIVITY_LABELS[state.activity];
  const prefixes = [label, "Starting"];
  for (const prefix of prefixes) {
    if (state.reason.startsWith(`${prefix}: `)) return state.reason.slice(prefix.length + 2);
  }
  return state.reason;
}

export function ActivityPanel(props: { state: NodeState; connected: boolean }) {
  const { state } = props;
  const job = state.currentJob;
  return (
    <section className="card activity-card" aria-labelledby="activity-heading">
      <h2 id="activity-heading" className="visually-hidden">
        Status
      </h2>
      <div className="activity-main" aria-live="polite">
        <span className={`dot dot-${state.activity}`} aria-hidden="true" />
        <div>
          <p className="activity" data-testid="activity">
            {ACTIVITY_LABELS[state.activity]}
          </p>
          <p className="reason" data-testid="reason">
            {reasonText(state)}
          </p>
          {job && (
            <p className="current-job" data-testid="current-job">
              Current job: {job.completionTokens} tokens generated so far
            </p>
          )}
        </div>
      </div>
      <ShareSwitch sharing={state.sharing} disabled={!props.connected} />
    </section>
  );
}
