import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { hashTypedData } from "viem";
import { receiptTypedData } from "../shared/typed-data";
import { receiptDigest } from "./receipt-digest";

const hex32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => `0x${Buffer.from(b).toString("hex")}`);
const receipt = fc.record({
  jobId: fc.string({ maxLength: 80 }),
  model: fc.string({ unit: "grapheme", maxLength: 60 }),
  promptTokens: fc.nat(),
  completionTokens: fc.nat(),
  outputHash: hex32,
});

describe("receipt digest", () => {
  it("equals viem's EIP-712 hash of the receipt for any fields", () => {
    fc.assert(
      fc.property(receipt, (r) => {
        expect(receiptDigest(r)).toBe(hashTypedData(receiptTypedData(r)));
      }),
      { numRuns: 300 },
    );
  });

  it("changes with every field", () => {
    const base = { jobId: "job_1", model: "m", promptTokens: 4, completionTokens: 8, outputHash: `0x${"ab".repeat(32)}` };
    const digests = new Set([
      receiptDigest(base),
      receiptDigest({ ...base, jobId: "job_2" }),
      receiptDigest({ ...base, model: "n" }),
      receiptDigest({ ...base, promptTokens: 5 }),
      receiptDigest({ ...base, completionTokens: 9 }),
      receiptDigest({ ...base, outputHash: `0x${"cd".repeat(32)}` }),
    ]);
    expect(digests.size).toBe(6);
  });

  it("refuses an output hash that is not 32 bytes", () => {
    expect(() => receiptDigest({ jobId: "j", model: "m", promptTokens: 1, completionTokens: 1, outputHash: "0x1234" })).toThrow(/32 bytes/);
  });
});
