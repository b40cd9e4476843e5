/**
 * What the node is doing and why, what the owner's sharing rules say, the Share switch, and the
 * pause buttons.
 */
import type { NodeActivity, NodeState } from "../../shared/control-api";
import { PauseControls } from "./pause-controls";
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

/** The rules' reason, unless the state's reason already says it. */
function rulesText(state: NodeState): string | null {
  const rules = state.decision.reason;
  if (rules === "" || state.reason.toLowerCase().includes(rules.toLowerCase())) return null;
  return rules;
}

export function ActivityPanel(props: { state: NodeState; connected: boolean }) {
  const { state } = props;
  const job = state.currentJob;
  const rules = rulesText(state);
  return (
    <section className={`card activity-card activity-${state.activity}`} aria-labelledby="activity-heading" data-testid="activity-card">
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
          {rules !== null && (
            <p className="rules-reason" data-testid="decision">
              <span className="rules-label">Your rules:</span> {rules}
            </p>
          )}
          {job && (
            <p className="current-job" data-testid="current-job">
              Current job: {job.completionTokens} tokens generated so far
            </p>
          )}
        </div>
      </div>
      <ShareSwitch sharing={state.sharing} disabled={!props.connected} />
      <div className="activity-foot">
        <PauseControls state={state} disabled={!props.connected} />
      </div>
    </section>
  );
}
