/**
 * Batches streamed text for the IPC channel: the first chunk goes out at once, later chunks are
 * gathered and sent about every `intervalMs`, and {@link TokenBatcher.flush} sends what is left.
 */

/** Timer functions, injectable for tests. */
export interface BatchTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const systemTimers: BatchTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Gathers text chunks and their token counts into batches. */
export class TokenBatcher {
  private text = "";
  private count = 0;
  private sentFirst = false;
  private timer: unknown = null;

  constructor(
    private readonly send: (text: string, count: number) => void,
    private readonly intervalMs = 16,
    private readonly timers: BatchTimers = systemTimers,
  ) {}

  /** Adds a chunk of `count` tokens. */
  push(text: string, count: number): void {
    if (count <= 0 && text.length === 0) return;
    this.text += text;
    this.count += Math.max(1, count);
    if (!this.sentFirst) {
      this.sentFirst = true;
      this.flush();
      return;
    }
    if (this.timer === null) {
      this.timer = this.timers.setTimeout(() => {
        this.timer = null;
        this.flush();
      }, this.intervalMs);
    }
  }

  /** Sends whatever is gathered now and cancels the pending timer. */
  flush(): void {
    if (this.timer !== null) {
      this.timers.clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.count === 0) return;
    const text = this.text;
    const count = this.count;
    this.text = "";
    this.count = 0;
    this.send(text, count);
  }
}
