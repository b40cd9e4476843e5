/**
 * The platform fee's rounding rule, for any cost and fee: the fee is the exact share rounded
 * down to a whole µUSD, the node gets the rest — so the node never receives less than its exact
 * share, the platform never more than its own, and the two always add up to the cost.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { splitCost } from "./money";

describe("platform fee rounding", () => {
  it("rounds the fee down and gives the node the remainder", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: 0, max: 10_000 }), (cost, bps) => {
        const { nodeMicroUsd, feeMicroUsd } = splitCost(cost, bps);
        expect(nodeMicroUsd + feeMicroUsd).toBe(cost);
        // fee = floor(cost × bps / 10 000), checked in exact integers.
        const exactFeeTimes10k = BigInt(cost) * BigInt(bps);
        expect(BigInt(feeMicroUsd) * 10_000n <= exactFeeTimes10k).toBe(true);
        expect((BigInt(feeMicroUsd) + 1n) * 10_000n > exactFeeTimes10k).toBe(true);
        // The node's share is at least its exact share.
        expect(BigInt(nodeMicroUsd) * 10_000n >= BigInt(cost) * BigInt(10_000 - bps)).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  it("leaves sub-µUSD fees with the node", () => {
    expect(splitCost(1, 250)).toEqual({ nodeMicroUsd: 1, feeMicroUsd: 0 });
    expect(splitCost(39, 250)).toEqual({ nodeMicroUsd: 39, feeMicroUsd: 0 });
    expect(splitCost(40, 250)).toEqual({ nodeMicroUsd: 39, feeMicroUsd: 1 });
    expect(splitCost(399, 250)).toEqual({ nodeMicroUsd: 390, feeMicroUsd: 9 });
    expect(splitCost(1_000_000, 10_000)).toEqual({ nodeMicroUsd: 0, feeMicroUsd: 1_000_000 });
  });

  it("refuses a fee outside 0–10 000 basis points or a fractional one", () => {
    for (const bps of [-1, 10_001, 2.5, Number.NaN]) expect(() => splitCost(100, bps)).toThrow(RangeError);
  });
});
