/**
 * `offpeak status [--json]`: the state of the node running on this machine, read from its local
 * control server with the per-session token in the data folder.
 */
import { nodeStateSchema, type NodeState } from "../../shared/control-api";
import { formatUsd } from "../../shared/money";
import { readControlFile } from "../agent/control-file";
import { prepareDataDir, resolveDataDir } from "../agent/data-dir";
import type { CliValues } from "./cli-options";
import type { CliIo } from "./main";

/** The summary `status --json` prints. */
export function statusSummary(state: NodeState) {
  return {
    sharing: state.sharing,
    activity: state.activity,
    reason: state.reason,
    decision: { share: state.decision.share, reason: state.decision.reason, nextChangeAt: state.decision.nextChangeAt },
    address: state.address,
    coordinator: state.coordinator,
    model: state.model ? { id: state.model.id, label: state.model.label, demo: state.model.demo, path: state.model.path } : null,
    backend: state.hardware?.backend ?? null,
    hardware: state.hardware,
    lastJobTokensPerSecond: state.lastJob?.tokensPerSecond ?? null,
    balanceMicroUsd: state.earnings.balanceMicroUsd,
    todayMicroUsd: state.earnings.todayMicroUsd,
    jobsServed: state.earnings.jobsServed,
  };
}

/** Prints the running node's state. */
export async function runStatusCommand(values: CliValues, io: CliIo): Promise<number> {
  const paths = await prepareDataDir(resolveDataDir(values["data-dir"]));
  const control = await readControlFile(paths.controlFile);
  if (!control.ok) {
    io.err(control.error);
    return 3;
  }
  let response: Response;
  try {
    response = await fetch(`http://127.0.0.1:${control.value.port}/api/state`, {
      headers: { authorization: `Bearer ${control.value.token}` },
      signal: AbortSignal.timeout(5000),
    });
  } catch {
    io.err(`the node that wrote ${paths.controlFile} is not answering (pid ${control.value.pid}); it may have stopped`);
    return 3;
  }
  const parsed = nodeStateSchema.safeParse(await response.json().catch(() => null));
  if (!response.ok || !parsed.success) {
    io.err(`the node answered ${response.status} with something that is not its state`);
    return 1;
  }
  const summary = statusSummary(parsed.data);
  if (values.json) {
    io.out(JSON.stringify(summary, null, 2));
    return 0;
  }
  io.out(`${summary.reason}`);
  io.out(`Model:    ${summary.model?.label ?? "none"} (${summary.backend ?? "?"})`);
  io.out(`Address:  ${summary.address}`);
  io.out(`Balance:  ${formatUsd(summary.balanceMicroUsd)} (today ${formatUsd(summary.todayMicroUsd)})`);
  if (summary.lastJobTokensPerSecond !== null) io.out(`Last job: ${summary.lastJobTokensPerSecond} tokens/s`);
  return 0;
}
