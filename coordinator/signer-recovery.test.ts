import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { recoverAddress, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { createRequire } from "node:module";
import secp256k1 from "secp256k1";
import { bytesToHex, hexToBytes } from "viem";
import { receiptTypedData } from "../shared/typed-data";
import { receiptDigest } from "./receipt-digest";
import { recoverSigner } from "./signer-recovery";

const PREBUILT = new Set(["linux-x64", "darwin-arm64", "win32-x64"]);

const key = fc.uint8Array({ minLength: 32, maxLength: 32 }).filter((b) => b.some((x) => x !== 0) && b[0] !== 0xff);
const digest = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => `0x${Buffer.from(b).toString("hex")}` as Hex);

describe("recoverSigner", () => {
  it("recovers the signing account, as viem does, for any key and digest", async () => {
    await fc.assert(
      fc.asyncProperty(key, digest, async (k, hash) => {
        const account = privateKeyToAccount(`0x${Buffer.from(k).toString("hex")}`);
        const signature = await account.sign({ hash });
        expect(recoverSigner(hash, signature)).toBe(account.address);
        expect(recoverSigner(hash, signature)).toBe(await recoverAddress({ hash, signature }));
      }),
      { numRuns: 60 },
    );
  });

  it("accepts the recovery byte as 0/1 as well as 27/28", async () => {
    const account = privateKeyToAccount(`0x${"11".repeat(32)}`);
    const hash = `0x${"22".repeat(32)}` as Hex;
    const signature = await account.sign({ hash });
    const v = parseInt(signature.slice(130), 16);
    const compact = `${signature.slice(0, 130)}${(v - 27).toString(16).padStart(2, "0")}`;
    expect(recoverSigner(hash, compact)).toBe(account.address);
  });

  it("gives another address for another digest, and a clear error for malformed input", async () => {
    const account = privateKeyToAccount(`0x${"33".repeat(32)}`);
    const hash = `0x${"44".repeat(32)}` as Hex;
    const signature = await account.sign({ hash });
    expect(recoverSigner(`0x${"45".repeat(32)}`, signature)).not.toBe(account.address);
    expect(() => recoverSigner(hash, "0x1234")).toThrow(/65 bytes/);
    expect(() => recoverSigner("0xabcd" as Hex, signature)).toThrow(/32 bytes/);
    expect(() => recoverSigner(hash, `${signature.slice(0, 130)}05`)).toThrow(/recovery byte 5/);
    // r = 0 is no point on the curve: nothing to recover.
    expect(() => recoverSigner(hash, `0x${"00".repeat(32)}${signature.slice(66, 130)}1b`)).toThrow(/recovers no key/);
  });

  it.runIf(PREBUILT.has(`${process.platform}-${process.arch}`))("uses the prebuilt libsecp256k1 binding on this platform, not the JavaScript fallback", () => {
    const binding = createRequire(import.meta.url)("secp256k1/bindings") as { ecdsaRecover?: unknown };
    expect(typeof binding.ecdsaRecover).toBe("function");
  });

  it("gives the same receipt signature signing the digest with libsecp256k1 as viem's signTypedData (as simulated nodes sign)", async () => {
    const key = `0x${"5a".repeat(32)}` as const;
    const account = privateKeyToAccount(key);
    const receipt = { jobId: "job_42", model: "m", promptTokens: 7, completionTokens: 9, outputHash: `0x${"cd".repeat(32)}` };
    const { signature, recid } = secp256k1.ecdsaSign(hexToBytes(receiptDigest(receipt)), hexToBytes(key));
    const native = `${bytesToHex(signature)}${(27 + recid).toString(16)}`;
    expect(native).toBe(await account.signTypedData(receiptTypedData(receipt)));
    expect(recoverSigner(receiptDigest(receipt), native)).toBe(account.address);
  });
});
