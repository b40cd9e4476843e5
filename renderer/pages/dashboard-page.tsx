/** The Dashboard: state and why, the Share switch, earnings, last job speed, model and hardware. */
import { ActivityPanel } from "../components/activity-panel";
import { EarningsPanel } from "../components/earnings-panel";
import { HardwarePanel } from "../components/hardware-panel";
import { LastJobPanel } from "../components/last-job-panel";
import { ModelPanel } from "../components/model-panel";
import { DisconnectedBanner, StatusMessage } from "../components/status-message";
import { useNodeState } from "../use-node-state";

export function DashboardPage() {
  const { state, connection, error } = useNodeState();

  if (connection === "unauthorized") {
    return (
      <StatusMessage kind="error" title="This dashboard link is no longer valid">
        The node was restarted or the link is wrong. Open the dashboard link that offpeak printed when it started.
      </StatusMessage>
    );
  }
  if (state === null) {
    if (error !== null) {
      return (
        <StatusMessage kind="error" title="The node did not answer">
          {error}
        </StatusMessage>
      );
    }
    if (connection === "reconnecting" || connection === "closed") {
      return (
        <StatusMessage kind="error" title="Cannot reach the node">
          Is offpeak still running? Retrying…
        </StatusMessage>
      );
    }
    return <StatusMessage kind="loading" title="Connecting to your node…" />;
  }

  const connected = connection === "open";
  return (
    <main className={connected ? "dashboard" : "dashboard stale"}>
      {!connected && <DisconnectedBanner />}
      <ActivityPanel state={state} connected={connected} />
      <div className="grid">
        <EarningsPanel earnings={state.earnings} />
        <LastJobPanel lastJob={state.lastJob} sharing={state.sharing} />
        <ModelPanel model={state.model} demo={state.demoModel} />
        <HardwarePanel hardware={state.hardware} />
      </div>
    </main>
  );
}
