/**
 * A bounded wait for capacity: when every node serving a model is busy, a job waits in that
 * model's first-come-first-served line until a node frees a slot, instead of failing at once.
 * Nothing polls: the node hub calls `wake()` whenever a node may have room (a job ended, a node
 * logged in, changed its status or left), and each waiter, oldest first, tries to start.
 */
import type { Logger } from "../shared/logger";

/** What a waiting job does when woken. Both are called synchronously, inside `wake()`. */
export interface CapacityWaiter<T> {
  /** Starts the job on a node with room and returns what was started; undefined when none has room. */
  tryStart(): T | undefined;
  /** True while at least one connected, sharing node could serve this job once it has room. */
  isServed(): boolean;
}

/** How a wait ended. */
export type CapacityWaitResult<T> =
  | { readonly kind: "started"; readonly value: T }
  /** The model's line was already at its length limit: the job never joined it. */
  | { readonly kind: "full" }
  /** No node freed a slot within the wait limit. */
  | { readonly kind: "expired" }
  /** No connected, sharing node serves the model any more. */
  | { readonly kind: "unserved" }
  /** The consumer went away. */
  | { readonly kind: "aborted" };

/** Limits of the wait. */
export interface CapacityQueueOptions {
  /** Jobs that may wait for one model at once; more are refused (`full`). */
  readonly maxQueueLength: number;
  /** Longest time a job waits for a slot. */
  readonly maxQueueWaitMs: number;
  readonly logger: Logger;
}

type Ending = "expired" | "unserved" | "aborted";

interface Entry {
  done: boolean;
  /** True when the job started (the entry has then left the line). */
  tryStart(): boolean;
  isServed(): boolean;
  end(kind: Ending): void;
}

/** Wakes never chain more than this many rounds (a wake during a wake asks for one more). */
const MAX_WAKE_ROUNDS = 8;

/** Per-model lines of jobs waiting for a free node slot. */
export class CapacityQueue {
  private readonly lines = new Map<string, Entry[]>();
  private waking = false;
  private wakeAgain = false;

  constructor(private readonly opts: CapacityQueueOptions) {
    for (const [name, value] of [
      ["maxQueueLength", opts.maxQueueLength],
      ["maxQueueWaitMs", opts.maxQueueWaitMs],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer`);
    }
  }

  /** Jobs waiting for `model` now. */
  length(model: string): number {
    return this.lines.get(model)?.length ?? 0;
  }

  /** Jobs waiting now, all models together. */
  totalLength(): number {
    let n = 0;
    for (const line of this.lines.values()) n += line.length;
    return n;
  }

  /**
   * Waits in `model`'s line until `waiter.tryStart()` succeeds on a wake, the wait limit
   * passes, the model loses its last serving node, or `signal` aborts. A `retry` (a job that
   * already waited, whose node failed before its first token) goes to the front of the line
   * and is never refused for length. Call it right after a `tryStart` that found no room.
   */
  wait<T>(model: string, waiter: CapacityWaiter<T>, signal: AbortSignal, retry = false): Promise<CapacityWaitResult<T>> {
    if (signal.aborted) return Promise.resolve({ kind: "aborted" });
    const line = this.lines.get(model) ?? [];
    if (!retry && line.length >= this.opts.maxQueueLength) return Promise.resolve({ kind: "full" });
    return new Promise((resolve) => {
      const finish = (result: CapacityWaitResult<T>) => {
        if (entry.done) return;
        entry.done = true;
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        this.remove(model, entry);
        resolve(result);
      };
      const entry: Entry = {
        done: false,
        tryStart: () => {
          const value = waiter.tryStart();
          if (value === undefined) return false;
          finish({ kind: "started", value });
          return true;
        },
        isServed: () => waiter.isServed(),
        end: (kind) => finish({ kind }),
      };
      const onAbort = () => finish({ kind: "aborted" });
      const timer = setTimeout(() => finish({ kind: "expired" }), this.opts.maxQueueWaitMs);
      signal.addEventListener("abort", onAbort, { once: true });
      if (retry) line.unshift(entry);
      else line.push(entry);
      this.lines.set(model, line);
    });
  }

  /** A node may have room now: every waiting job, oldest first per model, tries to start. */
  wake(): void {
    if (this.waking) {
      this.wakeAgain = true;
      return;
    }
    this.waking = true;
    try {
      for (let round = 0; round < MAX_WAKE_ROUNDS; round++) {
        this.wakeAgain = false;
        for (const line of [...this.lines.values()]) {
          for (const entry of [...line]) this.offer(entry);
        }
        if (!this.wakeAgain) break;
      }
    } finally {
      this.waking = false;
    }
  }

  private offer(entry: Entry): void {
    if (entry.done) return;
    try {
      if (!entry.tryStart() && !entry.isServed()) entry.end("unserved");
    } catch (err) {
      this.opts.logger.error("a waiting job could not be started", { error: String(err) });
      entry.end("unserved");
    }
  }

  private remove(model: string, entry: Entry): void {
    const line = this.lines.get(model);
    if (!line) return;
    const at = line.indexOf(entry);
    if (at >= 0) line.splice(at, 1);
    if (line.length === 0) this.lines.delete(model);
  }
}
