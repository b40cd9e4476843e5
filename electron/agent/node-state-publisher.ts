/**
 * The node agent's one state object and the listeners that receive its snapshots. Every change
 * goes through {@link NodeStatePublisher.update}, which derives the sandbox warnings and the
 * activity with its reason before any listener sees the snapshot, so a UI never shows an
 * activity that disagrees with the fields beside it.
 */
import type { NodeState, SandboxStatus, WorkerStatus } from "../../shared/control-api";
import type { Logger } from "../../shared/logger";
import { deriveActivity, sandboxWarnings } from "./node-state";

/** What the activity depends on besides the state itself, read at each update. */
export interface StateFacts {
  /** The worker may not start: no sandbox here, and the owner did not allow running without one. */
  readonly sandboxBlocked: boolean;
  /** Why the engine failed to start, or null. */
  readonly startError: string | null;
  /** The engine has loaded its model. */
  readonly modelReady: boolean;
}

export interface NodeStatePublisherOptions {
  readonly initial: NodeState;
  readonly sandbox: SandboxStatus;
  /** The owner's "Run without sandbox" setting as it stands now. */
  readonly allowUnsandboxed: () => boolean;
  readonly facts: () => StateFacts;
  readonly logger: Logger;
}

/** The worker's trouble as a phrase, or null when it is fine. */
export function workerProblemOf(worker: WorkerStatus): string | null {
  if (worker.state === "restarting" || worker.state === "quarantined" || worker.state === "failed") return worker.reason ?? worker.state;
  return null;
}

/** Holds the state, applies patches to it and pushes each snapshot to the listeners. */
export class NodeStatePublisher {
  private current: NodeState;
  private readonly listeners = new Set<(state: NodeState) => void>();
  /** The coordinator link's latest word on the connection, quoted by the "Connecting" reason. */
  private connectionReason = "Connecting to the coordinator…";

  constructor(private readonly options: NodeStatePublisherOptions) {
    this.current = options.initial;
  }

  /** The latest snapshot. */
  get state(): NodeState {
    return this.current;
  }

  /** Calls `listener` with every new snapshot; returns a function that stops it. */
  listen(listener: (state: NodeState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Keeps the coordinator link's word on the connection; the next update shows it. */
  noteConnection(reason: string): void {
    this.connectionReason = reason;
  }

  /** Applies `patch` (an empty one re-derives the activity after a fact changed) and publishes. */
  update(patch: Partial<NodeState>): void {
    const { sandbox } = this.options;
    const next = { ...this.current, ...patch };
    next.warnings = sandboxWarnings(sandbox, this.options.allowUnsandboxed());
    const facts = this.options.facts();
    const { activity, reason } = deriveActivity({
      walletProblem: next.wallet.state === "ready" ? null : (next.wallet.reason ?? "The wallet is not open"),
      sandbox,
      sandboxBlocked: facts.sandboxBlocked,
      startError: facts.startError,
      workerProblem: workerProblemOf(next.worker),
      modelReady: facts.modelReady,
      connectionReason: this.connectionReason,
      state: next,
      decision: next.decision,
    });
    this.current = { ...next, activity, reason };
    // One failing listener (a closed window, a dropped socket) must not keep the others stale.
    for (const listener of this.listeners) {
      try {
        listener(this.current);
      } catch (error) {
        this.options.logger.error("state listener failed", { error: (error as Error).message });
      }
    }
  }
}
