/**
 * The Dashboard: state and why (and what the sharing rules say), the Share switch and pauses,
 * earnings, last job speed, model, hardware (with why this backend), the inference worker with
 * its sandbox, and the signals the rules look at.
 */
import type { NodeState } from "../../shared/control-api";
import { ActivityPanel } from "../components/activity-panel";
import { EarningsPanel } from "../components/earnings-panel";
import { HardwarePanel } from "../components/hardware-panel";
import { LastJobPanel } from "../components/last-job-panel";
import { ModelPanel } from "../components/model-panel";
import { SignalsPanel } from "../components/signals-panel";
import { WorkerPanel } from "../components/worker-panel";

export function DashboardPage(props: { state: NodeState; connected: boolean }) {
  const { state } = props;
  return (
    <div className="dashboard">
      <h2 id="page-title" className="visually-hidden" tabIndex={-1}>
        Dashboard
      </h2>
      <ActivityPanel state={state} connected={props.connected} />
      <div className="grid">
        <EarningsPanel earnings={state.earnings} />
        <LastJobPanel lastJob={state.lastJob} sharing={state.sharing} />
        <ModelPanel model={state.model} demo={state.demoModel} />
        <HardwarePanel hardware={state.hardware} />
        <WorkerPanel sandbox={state.sandbox} worker={state.worker} />
        <SignalsPanel signals={state.signals} />
      </div>
    </div>
  );
}
