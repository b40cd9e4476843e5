/**
 * Group commit: callers hand in items one at a time and the items are written together, with at
 * most one write in flight. An item that arrives while a write runs joins the next one; under
 * load each write carries everything that queued meanwhile, so a job's settlement costs one
 * transaction's round trips shared by every job that settles at the same moment, instead of its
 * own. When the writer has been idle a while, an item is written at once (no wait for company on
 * a quiet coordinator: it is on a request's path).
 *
 * `write` returns one result per item, in order: a value, or an Error for that item alone. When
 * a write of several items throws (a constraint no single item was expected to break, a
 * deadlock), each item is written again on its own, so one bad item fails only itself. A lost
 * connection fails the whole batch; callers retry (their writes are idempotent, see db-retry.ts).
 */
import { isConnectionLoss } from "./db-retry";

/** A writer idle this long writes the next item at once. */
const DEFAULT_IDLE_MS = 5;

interface Waiting<T, R> {
  readonly item: T;
  resolve(value: R): void;
  reject(reason: unknown): void;
}

export class GroupCommit<T, R> {
  private queue: Waiting<T, R>[] = [];
  private writing = false;
  private batches = 0;
  private items = 0;

  private lastWriteEndedAt = -Infinity;

  /**
   * `idleMs`: an item arriving more than this after the last write ended is written at once; sooner
   * (the coordinator is busy) it waits for the next turn of the event loop, to be written with
   * the others arriving in this one.
   */
  constructor(
    private readonly write: (items: readonly T[]) => Promise<ReadonlyArray<R | Error>>,
    private readonly maxBatch = 256,
    private readonly idleMs = DEFAULT_IDLE_MS,
  ) {
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError(`maxBatch must be a positive integer, got ${maxBatch}`);
    if (!(idleMs >= 0)) throw new RangeError(`idleMs must be a non-negative number, got ${idleMs}`);
  }

  /** Writes `item` with whatever else is waiting; resolves with its own result. */
  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.writing) return;
      this.writing = true;
      if (performance.now() - this.lastWriteEndedAt > this.idleMs) {
        void this.drain();
        return;
      }
      // Busy: start on the next turn of the event loop, not in this microtask, so every message
      // already received (other jobs ending now) is handled first and joins this write. An
      // embedded database runs its statements synchronously: without this pause a write would
      // always finish before the next message is even read, and carry one item.
      setImmediate(() => void this.drain());
    });
  }

  /** Writes so far and the items they carried (for metrics and tests). */
  stats(): { batches: number; items: number } {
    return { batches: this.batches, items: this.items };
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        await this.writeBatch(batch);
      }
    } finally {
      this.writing = false;
      this.lastWriteEndedAt = performance.now();
    }
  }

  private async writeBatch(batch: readonly Waiting<T, R>[]): Promise<void> {
    let results: ReadonlyArray<R | Error>;
    try {
      this.batches++;
      this.items += batch.length;
      results = await this.write(batch.map((w) => w.item));
      if (results.length !== batch.length) throw new Error(`a group write returned ${results.length} results for ${batch.length} items`);
    } catch (err) {
      if (batch.length === 1 || isConnectionLoss(err)) {
        for (const w of batch) w.reject(err);
        return;
      }
      for (const w of batch) await this.writeBatch([w]);
      return;
    }
    batch.forEach((w, i) => {
      const r = results[i] as R | Error;
      if (r instanceof Error) w.reject(r);
      else w.resolve(r);
    });
  }
}
