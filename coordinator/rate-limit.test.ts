import { describe, expect, it } from "vitest";
import { RateLimiter } from "./rate-limit";

describe("RateLimiter", () => {
  it("allows a minute's worth at once, then one per refill interval, saying how long to wait", () => {
    let now = 0;
    const limiter = new RateLimiter(() => now);
    for (let i = 0; i < 3; i++) expect(limiter.take("k", 3)).toEqual({ ok: true });
    expect(limiter.take("k", 3)).toEqual({ ok: false, retryAfterSeconds: 20 });
    now += 10_000;
    expect(limiter.take("k", 3)).toEqual({ ok: false, retryAfterSeconds: 10 });
    now += 10_000;
    expect(limiter.take("k", 3)).toEqual({ ok: true });
    expect(limiter.take("other", 3)).toEqual({ ok: true });
  });

  it("never stores more than the bucket holds, and follows a changed rate", () => {
    let now = 0;
    const limiter = new RateLimiter(() => now);
    limiter.take("k", 2);
    now += 3_600_000;
    expect([limiter.take("k", 2), limiter.take("k", 2), limiter.take("k", 2)].map((r) => r.ok)).toEqual([true, true, false]);
    expect(limiter.take("k", 120).ok).toBe(false);
    now += 500;
    expect(limiter.take("k", 120).ok).toBe(true);
    expect(() => limiter.take("k", 0)).toThrow(RangeError);
  });
});
