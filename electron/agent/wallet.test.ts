import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { recoverTypedDataAddress } from "viem";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loginTypedData, receiptTypedData } from "../../shared/typed-data";
import { FileKeyStore } from "./key-store";
import { openWallet, outputHash } from "./wallet";

describe("wallet and interim key store", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "offpeak-wallet-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("creates a key on first run, keeps it owner-only, and reuses it", async () => {
    const store = new FileKeyStore(dir);
    const first = await openWallet(store);
    expect(first.address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    const mode = (await stat(store.path)).mode & 0o777;
    expect(mode).toBe(0o600);
    const second = await openWallet(new FileKeyStore(dir));
    expect(second.address).toBe(first.address);
  });

  it("refuses a damaged key file instead of silently making a new identity", async () => {
    await writeFile(join(dir, "node-key"), "not a key\n");
    await expect(openWallet(new FileKeyStore(dir))).rejects.toThrow(/damaged/);
    expect(await readFile(join(dir, "node-key"), "utf8")).toBe("not a key\n");
  });

  it("signs logins and receipts that recover to its address", async () => {
    const wallet = await openWallet(new FileKeyStore(dir));
    const signature = await wallet.signLogin("n".repeat(32), "coord-1");
    expect(await recoverTypedDataAddress({ ...loginTypedData("n".repeat(32), "coord-1"), signature })).toBe(wallet.address);
    const receipt = await wallet.signReceipt({ jobId: "j1", model: "m", promptTokens: 3, completionTokens: 5, outputHash: outputHash("hello") });
    const { signature: receiptSignature, ...body } = receipt;
    expect(await recoverTypedDataAddress({ ...receiptTypedData(body), signature: receiptSignature as `0x${string}` })).toBe(wallet.address);
    const tampered = { ...body, completionTokens: 6 };
    expect(await recoverTypedDataAddress({ ...receiptTypedData(tampered), signature: receiptSignature as `0x${string}` })).not.toBe(wallet.address);
  });

  it("hashes output text as 0x-prefixed sha256", () => {
    expect(outputHash("")).toBe("0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });
});
