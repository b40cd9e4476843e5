/**
 * Applies OpenAI-style stop sequences to streamed text: the output ends right before the first
 * stop sequence (which is left out, even when it starts inside a token), and text that could be
 * the start of a stop sequence is held back until it is known not to be one.
 */

/** Filters a stream of (text, token count) chunks. Every emitted chunk carries at least one token. */
export class StopSequenceFilter {
  private held = "";
  private heldCount = 0;
  private found = false;

  constructor(
    private readonly stops: readonly string[],
    private readonly emit: (text: string, count: number) => void,
  ) {}

  /** True once a stop sequence was seen; later chunks are ignored. */
  get stopped(): boolean {
    return this.found;
  }

  /** Adds a chunk of `count` (≥ 1) tokens; returns true when a stop sequence completed. */
  push(text: string, count: number): boolean {
    if (this.found) return true;
    const buffer = this.held + text;
    const total = this.heldCount + count;
    let index = -1;
    for (const stop of this.stops) {
      const at = buffer.indexOf(stop);
      if (at >= 0 && (index < 0 || at < index)) index = at;
    }
    if (index >= 0) {
      this.found = true;
      this.held = "";
      this.heldCount = 0;
      this.emit(buffer.slice(0, index), total);
      return true;
    }
    const keep = this.longestStopPrefixAtEnd(buffer);
    if (keep === 0) {
      this.held = "";
      this.heldCount = 0;
      this.emit(buffer, total);
    } else if (total >= 2 && keep < buffer.length) {
      // The held text keeps one token's count, so that it can always be sent on its own later.
      this.emit(buffer.slice(0, buffer.length - keep), total - 1);
      this.held = buffer.slice(buffer.length - keep);
      this.heldCount = 1;
    } else {
      this.held = buffer;
      this.heldCount = total;
    }
    return false;
  }

  /** Sends held-back text: the stream ended without completing a stop sequence. */
  flush(): void {
    if (this.found || this.heldCount === 0) return;
    const text = this.held;
    const count = this.heldCount;
    this.held = "";
    this.heldCount = 0;
    this.emit(text, count);
  }

  private longestStopPrefixAtEnd(buffer: string): number {
    let longest = 0;
    for (const stop of this.stops) {
      for (let length = Math.min(stop.length - 1, buffer.length); length > longest; length--) {
        if (buffer.endsWith(stop.slice(0, length))) {
          longest = length;
          break;
        }
      }
    }
    return longest;
  }
}
