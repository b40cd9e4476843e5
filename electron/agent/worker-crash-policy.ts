/**
 * When to restart a crashed inference worker and when to give up on it: restarts back off
 * exponentially with jitter, and a model or backend that crashes too often within a window is
 * quarantined with a reason the owner can read.
 */

/** Options of {@link CrashPolicy}; every field has a default. */
export interface CrashPolicyOptions {
  /** First restart delay (default 500 ms), doubled per recent crash up to `maxDelayMs`. */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** This many crashes within `windowMs` quarantine the worker (default 3 in 5 minutes). */
  readonly maxCrashes?: number;
  readonly windowMs?: number;
  /** Uniform in [0, 1); spreads restarts of many nodes apart. */
  readonly random?: () => number;
}

/** What happens after a crash. */
export type CrashDecision =
  | { readonly kind: "restart"; readonly attempt: number; readonly delayMs: number }
  | { readonly kind: "quarantine"; readonly crashes: number };

/** What was running when the worker crashed, for the quarantine reason. */
export interface CrashContext {
  /** "loading" while the model was being loaded, "running" once it served. */
  readonly phase: "loading" | "running";
  readonly modelLabel: string;
  /** The backend the model ran on ("cpu", "metal", "cuda", "vulkan"), or the one it was loading on. */
  readonly backend: string;
  /** The last crash: "exit signal SIGSEGV", "exit code 1", "no output for 60 s". */
  readonly last: string;
}

/** Counts recent crashes and decides between a restart and quarantine. */
export class CrashPolicy {
  private crashTimes: number[] = [];

  constructor(private readonly options: CrashPolicyOptions = {}) {}

  /** The window crashes are counted in. */
  get windowMs(): number {
    return this.options.windowMs ?? 300_000;
  }

  /** Records a crash at `now` and decides what to do next. */
  record(now: number): CrashDecision {
    const windowMs = this.windowMs;
    this.crashTimes = [...this.crashTimes.filter((t) => now - t < windowMs), now];
    const crashes = this.crashTimes.length;
    if (crashes >= (this.options.maxCrashes ?? 3)) return { kind: "quarantine", crashes };
    const base = this.options.baseDelayMs ?? 500;
    const ceiling = Math.min(this.options.maxDelayMs ?? 30_000, base * 2 ** (crashes - 1));
    const delayMs = Math.round(ceiling / 2 + (this.options.random ?? Math.random)() * (ceiling / 2));
    return { kind: "restart", attempt: crashes, delayMs };
  }

  /** Forgets every crash (a new model, or the owner tries again). */
  reset(): void {
    this.crashTimes = [];
  }

  /** The sentence the owner reads about a quarantined worker. */
  quarantineReason(crashes: number, context: CrashContext): string {
    return (
      `Quarantined: the worker crashed ${crashes} times in ${formatDuration(this.windowMs)} ${context.phase} ` +
      `${context.modelLabel} on ${context.backend} (last: ${context.last})`
    );
  }
}

/** "5 minutes", "1 minute", "90 seconds". */
export function formatDuration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) {
    const minutes = ms / 60_000;
    return `${minutes} minute${minutes === 1 ? "" : "s"}`;
  }
  const seconds = Math.round(ms / 1000);
  return `${seconds} second${seconds === 1 ? "" : "s"}`;
}
