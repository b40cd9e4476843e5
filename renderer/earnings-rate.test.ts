import { describe, expect, it } from "vitest";
import { liveRate } from "./earnings-rate";

const TERMS = { outputMicroUsdPerMTok: 200_000, feeBps: 1_000 };
const job = (completionTokens: number, elapsedMs: number) => ({ jobId: "j", model: "m", startedAt: 10_000, completionTokens, elapsedMs });

describe("the live earning rate", () => {
  it("is the running job's tokens per second at the output price, less the fee, per hour", () => {
    // 500 tokens in 10 s: 50 tokens/s × 3600 s × $0.20/M tokens = 36 000 µUSD per hour, 90 % of it to the node.
    expect(liveRate(job(500, 10_000), TERMS)).toEqual({ tokensPerSecond: 50, microUsdPerHour: 32_400 });
    expect(liveRate(job(500, 10_000), { ...TERMS, feeBps: 0 })?.microUsdPerHour).toBe(36_000);
  });

  it("moves with each snapshot the agent pushes, and only with them", () => {
    const first = liveRate(job(100, 2_000), TERMS);
    const later = liveRate(job(400, 4_000), TERMS);
    expect(first?.tokensPerSecond).toBe(50);
    expect(later?.tokensPerSecond).toBe(100);
    // The same snapshot gives the same rate whenever it is read.
    expect(liveRate(job(400, 4_000), TERMS)).toEqual(later);
  });

  it("is unknown with no job, no token yet, or no time measured", () => {
    expect(liveRate(null, TERMS)).toBeNull();
    expect(liveRate(job(0, 1_000), TERMS)).toBeNull();
    expect(liveRate(job(3, 0), TERMS)).toBeNull();
  });
});
