/**
 * The owner's say over sharing: the Share switch, pauses, and the decisions of the sharing
 * monitor. The node takes jobs only while the switch is on AND the rules allow it; when that
 * flips off, the running jobs go back to the coordinator at once (and the GPU is freed if the
 * owner asked), and either way the coordinator hears the node's new status.
 */
import type { NodeState, Result } from "../../shared/control-api";
import type { Logger } from "../../shared/logger";
import type { SharingDecision, SignalAvailability, Signals } from "../../shared/sharing-types";
import { pauseProblem } from "./node-state";
import type { SettingsStore } from "./settings-store";

export interface SharingControlsOptions {
  readonly state: () => NodeState;
  readonly update: (patch: Partial<NodeState>) => void;
  readonly settings: Pick<SettingsStore, "get" | "update">;
  readonly logger: Logger;
  readonly now: () => number;
  /** Hands the running jobs back to the coordinator. */
  readonly yieldJobs: () => void;
  /** Unloads the model from the GPU. */
  readonly unloadModel: () => void;
  /** Tells the coordinator the node's status now. */
  readonly sendStatus: () => void;
}

/** The sharing part of the agent's control API. */
export class SharingControls {
  constructor(private readonly options: SharingControlsOptions) {}

  /** The Share switch and the rules together: whether this node takes jobs. */
  get effective(): boolean {
    const state = this.options.state();
    return state.sharing && state.decision.share;
  }

  /** Turns the Share switch on or off, and keeps that in the settings. */
  async set(on: boolean): Promise<Result<NodeState>> {
    const { options } = this;
    if (typeof on !== "boolean") return { ok: false, error: "setSharing takes true or false" };
    if (on === options.state().sharing) return { ok: true, value: options.state() };
    const before = this.effective;
    options.update({ sharing: on });
    options.settings.update({ sharing: on });
    this.changed(before);
    options.logger.info(on ? "sharing turned on" : "sharing turned off");
    return { ok: true, value: options.state() };
  }

  /**
   * Applies the sharing policy's decision (from the sharing monitor). When sharing must stop, the
   * running jobs go back to the coordinator at once and no new one is taken; when it may start
   * again, the node advertises itself again.
   */
  apply(decision: SharingDecision, signals: Signals, availability: SignalAvailability): void {
    const before = this.effective;
    const reasonBefore = this.options.state().reason;
    this.options.update({ decision, signals: { latest: signals, available: availability } });
    if (before !== this.effective) {
      this.options.logger.info(decision.share ? "sharing resumed by the rules" : "sharing paused by the rules", { reason: decision.reason });
      this.changed(before);
    } else if (!before && reasonBefore !== this.options.state().reason) {
      // Still not sharing, for another reason: the coordinator shows the owner the new one.
      this.options.sendStatus();
    }
  }

  /** Pauses sharing until `until` (epoch ms, in the future, at most 7 days away). */
  async pause(until: number): Promise<Result<NodeState>> {
    const problem = pauseProblem(until, this.options.now());
    return problem ? { ok: false, error: problem } : this.setPausedUntil(Math.round(until));
  }

  /** Ends a pause. */
  async resume(): Promise<Result<NodeState>> {
    return this.setPausedUntil(null);
  }

  private setPausedUntil(pausedUntil: number | null): Result<NodeState> {
    const { settings } = this.options;
    const rules = settings.get().rules;
    try {
      // The sharing monitor hears the change and decides again before this returns.
      settings.update({ rules: { ...rules, pausedUntil } });
    } catch (error) {
      return { ok: false, error: (error as Error).message };
    }
    return { ok: true, value: this.options.state() };
  }

  /** Acts on a change of the effective sharing: hand back jobs, free the GPU, tell the coordinator. */
  private changed(before: boolean): void {
    if (before && !this.effective) {
      this.options.yieldJobs();
      if (this.options.settings.get().rules.freeGpuWhenPaused) this.options.unloadModel();
    }
    this.options.sendStatus();
  }
}
