import { describe, expect, it } from "vitest";
import { DEFAULT_PRICE, formatUsd, jobCostMicroUsd, parseUsd, splitCost } from "./money";

describe("money math", () => {
  it("prices input and output tokens apart and rounds up to a whole µUSD", () => {
    const price = { inputMicroUsdPerMTok: 100_000, outputMicroUsdPerMTok: 200_000 };
    expect(jobCostMicroUsd(price, 1_000_000, 0)).toBe(100_000);
    expect(jobCostMicroUsd(price, 0, 1_000_000)).toBe(200_000);
    expect(jobCostMicroUsd(price, 10, 20)).toBe(5); // 1 + 4 = 5 exactly
    expect(jobCostMicroUsd(price, 1, 0)).toBe(1); // 0.1 µUSD rounds up
    expect(jobCostMicroUsd(price, 0, 0)).toBe(0);
    expect(jobCostMicroUsd(DEFAULT_PRICE, 7, 13)).toBe(Math.ceil((7 * 100_000 + 13 * 200_000) / 1_000_000));
  });

  it("stays exact for amounts past 2^53 intermediate products", () => {
    const price = { inputMicroUsdPerMTok: 9_000_000_000, outputMicroUsdPerMTok: 9_000_000_000 };
    expect(jobCostMicroUsd(price, 1_000_000_000, 1_000_000_000)).toBe(18_000_000_000_000);
  });

  it("refuses fractional or negative counts", () => {
    expect(() => jobCostMicroUsd(DEFAULT_PRICE, 1.5, 0)).toThrow(RangeError);
    expect(() => jobCostMicroUsd(DEFAULT_PRICE, -1, 0)).toThrow(RangeError);
  });

  it("splits a cost so node share plus fee is always the cost", () => {
    for (const cost of [0, 1, 7, 99, 12_345_678]) {
      for (const fee of [0, 1, 250, 1000, 10_000]) {
        const { nodeMicroUsd, feeMicroUsd } = splitCost(cost, fee);
        expect(nodeMicroUsd + feeMicroUsd).toBe(cost);
        expect(feeMicroUsd).toBeGreaterThanOrEqual(0);
        expect(Number.isInteger(nodeMicroUsd)).toBe(true);
      }
    }
    expect(splitCost(1000, 1000)).toEqual({ nodeMicroUsd: 900, feeMicroUsd: 100 });
    expect(() => splitCost(10, 10_001)).toThrow(RangeError);
  });

  it("parses and formats USD exactly", () => {
    expect(parseUsd("10")).toBe(10_000_000);
    expect(parseUsd("12.50")).toBe(12_500_000);
    expect(parseUsd("0.000001")).toBe(1);
    expect(() => parseUsd("1.0000001")).toThrow();
    expect(() => parseUsd("-1")).toThrow();
    expect(() => parseUsd("abc")).toThrow();
    expect(formatUsd(10_000_000)).toBe("$10.00");
    expect(formatUsd(12_500_000)).toBe("$12.50");
    expect(formatUsd(123)).toBe("$0.000123");
    expect(formatUsd(1_234_567_890)).toBe("$1,234.56789");
  });
});
