/**
 * How the node's state reads to a person: the activity (earning, ready, paused, off …) and the
 * sentence saying why, from what the agent knows; plus the sandbox warnings and the state at start.
 */
import type { NodeActivity, NodeState, SandboxStatus, WalletStatusView } from "../../shared/control-api";
import { CLEAR_STANDING } from "../../shared/appeal";
import type { SharingDecision, SignalAvailability, Signals } from "../../shared/sharing-types";

/** Shown on Windows, where the job object contains memory and processes but not files or network. */
export const PARTIAL_SANDBOX_WARNING =
  "Partly contained: on Windows the inference worker's memory and processes are limited, but it can still reach the network and read this computer's files.";

export const UNSANDBOXED_WARNING =
  "Running without a sandbox: strangers' prompts and downloaded model files are processed with access to this computer's files and network.";

/** No signal known yet (before the first sample, or a platform that offers none). */
export const NO_SIGNALS: SignalAvailability = {
  idle: false,
  battery: false,
  thermal: false,
  processes: false,
  fullscreen: false,
  gpu: false,
  memory: false,
};

/** What the activity is derived from. */
export interface ActivityInputs {
  /** Why the wallet is not open ("Keychain locked: unlock it to earn"), or null. */
  readonly walletProblem?: string | null;
  readonly sandbox: SandboxStatus;
  readonly sandboxBlocked: boolean;
  readonly startError: string | null;
  readonly workerProblem: string | null;
  readonly modelReady: boolean;
  readonly connectionReason: string;
  readonly state: Pick<NodeState, "sharing" | "coordinator" | "currentJob" | "worker">;
  readonly decision: SharingDecision;
}

/** The activity and its reason, most important first: errors, the Share switch, the rules, work. */
export function deriveActivity(input: ActivityInputs): { activity: NodeActivity; reason: string } {
  const { state } = input;
  // Without its key the node cannot log in, so nothing else matters until the wallet opens.
  if (input.walletProblem) return { activity: "error", reason: input.walletProblem };
  if (input.sandboxBlocked) {
    return {
      activity: "error",
      reason: `Not sharing: the inference worker cannot be sandboxed here (${input.sandbox.detail}). Install the sandbox, or turn on "Run without sandbox" in Settings.`,
    };
  }
  if (input.startError) return { activity: "error", reason: `Error: ${input.startError}` };
  if (input.workerProblem) return { activity: "error", reason: `Error: ${input.workerProblem}` };
  if (!state.sharing) return { activity: "off", reason: "Off: sharing is switched off" };
  if (!input.decision.share) return { activity: "paused", reason: input.decision.reason };
  if (!input.modelReady) return { activity: "connecting", reason: "Starting: loading the model" };
  if (!state.coordinator.connected) return { activity: "connecting", reason: `Connecting: ${input.connectionReason}` };
  if (state.currentJob) return { activity: "earning", reason: `Earning: serving a job for ${state.currentJob.model}` };
  if (state.worker.state === "unloaded") return { activity: "ready", reason: "Ready: the model was unloaded while idle and loads again for the next job" };
  return { activity: "ready", reason: "Ready: waiting for jobs" };
}

/** The warnings to show for this sandbox and the owner's choice. */
export function sandboxWarnings(sandbox: SandboxStatus, allowUnsandboxed: boolean): string[] {
  if (!sandbox.active && allowUnsandboxed) return [UNSANDBOXED_WARNING];
  if (sandbox.active && sandbox.kind === "job-object") return [PARTIAL_SANDBOX_WARNING];
  return [];
}

/** The node's state before anything happened. */
export function initialNodeState(input: {
  sharing: boolean;
  address: string;
  coordinatorUrl: string;
  demo: boolean;
  sandbox: SandboxStatus;
  decision: SharingDecision;
  wallet: WalletStatusView;
}): NodeState {
  return {
    sharing: input.sharing,
    activity: "connecting",
    reason: "Starting: loading the model",
    address: input.address,
    coordinator: { url: input.coordinatorUrl, connected: false },
    model: null,
    hardware: null,
    currentJob: null,
    lastJob: null,
    earnings: { todayMicroUsd: 0, balanceMicroUsd: 0, jobsServed: 0 },
    demoModel: input.demo,
    sandbox: input.sandbox,
    worker: { state: "stopped", reason: null },
    warnings: [],
    downloads: [],
    decision: input.decision,
    signals: { latest: null, available: NO_SIGNALS },
    wallet: input.wallet,
    withdrawals: { status: "loading", error: null, items: [] },
    standing: CLEAR_STANDING,
  };
}

/** The longest pause the owner can ask for: 7 days. */
export const MAX_PAUSE_MS = 7 * 24 * 3_600_000;

/** Why `until` cannot end a pause started at `now`, or null when it can. */
export function pauseProblem(until: number, now: number): string | null {
  if (typeof until !== "number" || !Number.isFinite(until)) return "pause takes a time (epoch milliseconds)";
  if (until <= now) return "the end of the pause must be in the future";
  if (until - now > MAX_PAUSE_MS) return "a pause can last at most 7 days";
  return null;
}

/** Every signal unknown: what the rules alone say before the first sample. */
export function unknownSignals(now: number): Signals {
  return {
    now,
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    idleSeconds: null,
    onBattery: null,
    thermal: null,
    game: null,
    processesKnown: false,
    fullscreenApp: null,
    fullscreenKnown: false,
    gpuBusyBy: null,
    gpuKnown: false,
    ownAppRunning: null,
    freeMemoryBytes: null,
  };
}
