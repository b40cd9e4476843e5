import { describe, expect, it } from "vitest";
import { liveRate } from "./earnings-rate";

const TERMS = { outputMicroUsdPerMTok: 200_000, feeBps: 1_000 };

describe("the live earning rate", () => {
  it("is the running job's tokens per second at the output price, less the fee, per hour", () => {
    const job = { jobId: "j", model: "m", startedAt: 10_000, completionTokens: 500 };
    // 50 tokens/s × 3600 s × $0.20/M tokens = 36 000 µUSD per hour, 90 % of it to the node.
    expect(liveRate(job, TERMS, 20_000)).toEqual({ tokensPerSecond: 50, microUsdPerHour: 32_400 });
    expect(liveRate(job, { ...TERMS, feeBps: 0 }, 20_000)?.microUsdPerHour).toBe(36_000);
  });

  it("is unknown with no job, no token yet, or no time elapsed", () => {
    expect(liveRate(null, TERMS, 1)).toBeNull();
    expect(liveRate({ jobId: "j", model: "m", startedAt: 10, completionTokens: 0 }, TERMS, 1_000)).toBeNull();
    expect(liveRate({ jobId: "j", model: "m", startedAt: 1_000, completionTokens: 3 }, TERMS, 1_000)).toBeNull();
  });
});
