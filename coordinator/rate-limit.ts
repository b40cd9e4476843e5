/**
 * Per-key request limits: a token bucket per API key that holds up to a minute's worth of
 * requests and refills at the key's rate. A request that finds the bucket empty is refused with
 * the seconds until the next token (the Retry-After of a 429).
 */

/** What taking a token did. */
export type TakeResult = { readonly ok: true } | { readonly ok: false; readonly retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
  rate: number;
}

/** Buckets of at most this many keys are kept; the oldest idle ones are dropped first. */
const MAX_BUCKETS = 100_000;

/** Token buckets, one per key, in memory (each coordinator limits what it serves). */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly now: () => number = () => Date.now()) {}

  /** Takes one request from `key`'s bucket, which refills at `perMinute` requests a minute. */
  take(key: string, perMinute: number): TakeResult {
    if (!(perMinute > 0)) throw new RangeError("a rate must be positive");
    const now = this.now();
    const b = this.buckets.get(key) ?? { tokens: perMinute, at: now, rate: perMinute };
    // A key whose rate changed starts again from its new size.
    if (b.rate !== perMinute) Object.assign(b, { tokens: Math.min(b.tokens, perMinute), rate: perMinute });
    b.tokens = Math.min(perMinute, b.tokens + ((now - b.at) / 60_000) * perMinute);
    b.at = now;
    this.buckets.delete(key);
    this.buckets.set(key, b);
    if (this.buckets.size > MAX_BUCKETS) this.buckets.delete(this.buckets.keys().next().value as string);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(((1 - b.tokens) / perMinute) * 60)) };
  }
}
