/**
 * Applies the owner's sharing rules while the node runs: samples the signals every second (or
 * at once when poked, e.g. on a power or lock event), asks the pure policy for a decision and
 * hands it to the agent, which yields the running jobs when sharing must stop. One sample at a
 * time, each bounded by a timeout; it stops with the node.
 */
import type { Logger } from "../../shared/logger";
import { decideSharing } from "../../shared/sharing-policy";
import type { SharingDecision, SharingRules, SignalAvailability, Signals } from "../../shared/sharing-types";
import type { SignalSampler } from "./signals/signal-sampler";

/** Who receives each decision (the node agent). */
export interface DecisionTarget {
  applyDecision(decision: SharingDecision, signals: Signals, availability: SignalAvailability): void;
}

export interface SharingMonitorOptions {
  readonly sampler: SignalSampler;
  /** The owner's current rules (read at every evaluation). */
  readonly rules: () => SharingRules;
  readonly target: DecisionTarget;
  /** Subscribes to changes of the rules (a pause, a new schedule); they are applied at once. */
  readonly onRulesChange?: (listener: () => void) => () => void;
  readonly logger: Logger;
  /** Time between samples (default 1000 ms). */
  readonly intervalMs?: number;
  /** Longest a sample may take before it is given up (default 5000 ms). */
  readonly sampleTimeoutMs?: number;
  /** The policy (default {@link decideSharing}). */
  readonly decide?: (rules: SharingRules, signals: Signals) => SharingDecision;
  readonly now?: () => number;
}

/** Samples, decides and applies, on a timer and on demand. */
export class SharingMonitor {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = true;
  private latest: Signals | null = null;
  private unsubscribe: (() => void) | null = null;
  private readonly decide: (rules: SharingRules, signals: Signals) => SharingDecision;
  private readonly now: () => number;

  constructor(private readonly options: SharingMonitorOptions) {
    this.decide = options.decide ?? decideSharing;
    this.now = options.now ?? Date.now;
  }

  /** The signals of the last sample, or null before the first. */
  get signals(): Signals | null {
    return this.latest;
  }

  /** Samples once (so the first decision is known before the node connects), then every interval. */
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    this.unsubscribe = this.options.onRulesChange?.(() => this.reevaluate()) ?? null;
    await this.poke();
  }

  /** Samples and applies at once; resolves when that sample's decision was handed over. */
  poke(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      // A sample is under way: take one more right after it, never two at once.
      this.again = true;
      return this.running;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const run = this.loop().finally(() => {
      this.running = null;
      this.schedule();
    });
    this.running = run;
    return run;
  }

  /**
   * Decides again from the last signals with the clock moved on, without sampling (the rules
   * changed: a pause, a resume, a new schedule). Samples instead when nothing was sampled yet.
   */
  reevaluate(): void {
    if (this.stopped) return;
    if (!this.latest) {
      void this.poke();
      return;
    }
    this.apply({ ...this.latest, now: this.now() });
  }

  /** Stops sampling; waits for a sample under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.poke(), this.options.intervalMs ?? 1000);
    this.timer.unref?.();
  }

  private async loop(): Promise<void> {
    // Bounded: a poke during a sample asks for one more, so this runs at most twice per call.
    for (let round = 0; round < 2 && !this.stopped; round++) {
      this.again = false;
      await this.sampleOnce();
      if (!this.again) break;
    }
  }

  private async sampleOnce(): Promise<void> {
    const timeoutMs = this.options.sampleTimeoutMs ?? 5000;
    let timeout: NodeJS.Timeout | undefined;
    try {
      const signals = await Promise.race([
        this.options.sampler.sample(),
        new Promise<never>((_, reject) => {
          timeout = setTimeout(() => reject(new Error(`sampling took longer than ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      if (this.stopped) return;
      this.latest = signals;
      this.apply(signals);
    } catch (error) {
      this.options.logger.warn("could not sample the sharing signals", { error: (error as Error).message });
    } finally {
      clearTimeout(timeout);
    }
  }

  private apply(signals: Signals): void {
    let decision: SharingDecision;
    try {
      decision = this.decide(this.options.rules(), signals);
    } catch (error) {
      this.options.logger.error("the sharing policy failed", { error: (error as Error).message });
      return;
    }
    this.options.target.applyDecision(decision, signals, this.options.sampler.availability());
  }
}
