/** What on this machine keeps jobs away, as sentences, read from the node's state. */
import type { NodeState } from "../shared/control-api";

const WORKER_TROUBLE: Partial<Record<NodeState["worker"]["state"], string>> = {
  stopped: "The inference worker is stopped",
  starting: "The inference worker is still starting",
  restarting: "The inference worker is restarting",
  quarantined: "The inference worker was stopped after repeated crashes",
  failed: "The inference worker failed",
};

/** Every reason on this machine's side, most basic first; empty when nothing stands in the way. */
export function nodeProblems(state: NodeState): string[] {
  const problems: string[] = [];
  if (!state.sharing) problems.push("The Share switch is off.");
  if (!state.decision.share) problems.push(`Your rules say: ${state.decision.reason}.`);
  if (!state.coordinator.connected) problems.push(`This node is not connected to the network (${state.coordinator.url}).`);
  if (state.model === null) problems.push("No model is loaded.");
  const worker = WORKER_TROUBLE[state.worker.state];
  if (worker !== undefined) problems.push(state.worker.reason ? `${worker}: ${state.worker.reason}.` : `${worker}.`);
  if (!state.sandbox.active) problems.push(`The sandbox is not running: ${state.sandbox.detail}.`);
  if (state.activity === "error") problems.push(`${state.reason}.`);
  return problems.map((p) => p.replace(/\.\.$/, "."));
}
