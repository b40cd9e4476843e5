import { describe, expect, it } from "vitest";
import { microUsdToTokenUnits, smallestStepMicroUsd } from "./token-units";

describe("micro-USD to token units", () => {
  it("is one unit per µUSD for a 6-decimal token (USDC)", () => {
    expect(microUsdToTokenUnits(12_500_000, 6)).toBe(12_500_000n);
    expect(microUsdToTokenUnits(1, 6)).toBe(1n);
  });

  it("scales by 10^12 for an 18-decimal token, exactly, beyond 2^53", () => {
    expect(microUsdToTokenUnits(12_500_000, 18)).toBe(12_500_000_000_000_000_000n);
    expect(microUsdToTokenUnits(Number.MAX_SAFE_INTEGER, 18)).toBe(BigInt(Number.MAX_SAFE_INTEGER) * 10n ** 12n);
  });

  it("divides for a token of fewer decimals and refuses amounts it cannot pay exactly", () => {
    expect(microUsdToTokenUnits(12_500_000, 2)).toBe(1_250n);
    expect(smallestStepMicroUsd(2)).toBe(10_000);
    expect(() => microUsdToTokenUnits(12_500_001, 2)).toThrow(/steps of 10000 µUSD/);
  });

  it("refuses fractions, negatives and impossible decimals", () => {
    expect(() => microUsdToTokenUnits(1.5, 6)).toThrow(RangeError);
    expect(() => microUsdToTokenUnits(-1, 6)).toThrow(RangeError);
    expect(() => microUsdToTokenUnits(1, 37)).toThrow(RangeError);
  });
});
