import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadTreasuryKey, payoutConfigFromEnv, withdrawalOptionsFromEnv } from "./payout-config";

const KEY = `0x${"5a".repeat(32)}`;
const CHAIN = {
  OFFPEAK_PAYOUT_RPC_URL: "http://127.0.0.1:8545",
  OFFPEAK_PAYOUT_CHAIN_ID: "8453",
  OFFPEAK_PAYOUT_TOKEN: "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913",
};

describe("payout configuration from the environment", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "offpeak-payout-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("is off when no payout variable is set", async () => {
    expect(await payoutConfigFromEnv({})).toBeNull();
    expect(await withdrawalOptionsFromEnv({})).toBeNull();
  });

  it("reads the chain, the token (checksummed) and defaults for the rest", async () => {
    const config = await payoutConfigFromEnv({ ...CHAIN, OFFPEAK_TREASURY_KEY: KEY });
    expect(config).toEqual({
      rpcUrl: "http://127.0.0.1:8545",
      treasuryKey: KEY,
      terms: {
        chainId: 8453,
        tokenAddress: "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913",
        tokenSymbol: "USDC",
        tokenDecimals: 6,
        feeMicroUsd: 100_000,
        minimumMicroUsd: 5_000_000,
        dailyLimitMicroUsd: 1_000_000_000,
        confirmations: 3,
      },
    });
  });

  it("takes the fee, minimum, limit, decimals and confirmations as set", async () => {
    const config = await payoutConfigFromEnv({
      ...CHAIN,
      OFFPEAK_PAYOUT_TOKEN_DECIMALS: "18",
      OFFPEAK_PAYOUT_TOKEN_SYMBOL: "DAI",
      OFFPEAK_WITHDRAWAL_FEE_USD: "0.25",
      OFFPEAK_WITHDRAWAL_MIN_USD: "10",
      OFFPEAK_WITHDRAWAL_DAILY_LIMIT_USD: "250.50",
      OFFPEAK_PAYOUT_CONFIRMATIONS: "12",
    });
    expect(config?.terms).toMatchObject({ tokenDecimals: 18, tokenSymbol: "DAI", feeMicroUsd: 250_000, minimumMicroUsd: 10_000_000, dailyLimitMicroUsd: 250_500_000, confirmations: 12 });
    expect(config?.treasuryKey).toBeNull();
  });

  it("reads the treasury key from a file, and refuses both ways at once", async () => {
    const file = join(dir, "treasury-key");
    await writeFile(file, `${KEY.slice(2)}\n`, { mode: 0o600 });
    expect(await loadTreasuryKey({ OFFPEAK_TREASURY_KEY_FILE: file })).toBe(KEY);
    await expect(loadTreasuryKey({ OFFPEAK_TREASURY_KEY_FILE: file, OFFPEAK_TREASURY_KEY: KEY })).rejects.toThrow(/not both/);
    await expect(loadTreasuryKey({ OFFPEAK_TREASURY_KEY_FILE: join(dir, "missing") })).rejects.toThrow(/cannot read OFFPEAK_TREASURY_KEY_FILE .*ENOENT/);
  });

  it("refuses a malformed key without repeating it", async () => {
    const secretish = `0x${"ab".repeat(31)}zz`;
    const error = await loadTreasuryKey({ OFFPEAK_TREASURY_KEY: secretish }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe("the treasury key (OFFPEAK_TREASURY_KEY) is not a 32-byte hex private key");
    expect((error as Error).message).not.toContain("abab");
  });

  it("names what is missing or wrong", async () => {
    await expect(payoutConfigFromEnv({ OFFPEAK_PAYOUT_RPC_URL: "http://x" })).rejects.toThrow("withdrawals need OFFPEAK_PAYOUT_CHAIN_ID, OFFPEAK_PAYOUT_TOKEN as well");
    await expect(payoutConfigFromEnv({ OFFPEAK_TREASURY_KEY: KEY })).rejects.toThrow(/a treasury key is set but no payout chain/);
    await expect(payoutConfigFromEnv({ ...CHAIN, OFFPEAK_PAYOUT_TOKEN: "usdc" })).rejects.toThrow(/OFFPEAK_PAYOUT_TOKEN must be the token contract's 0x address/);
    await expect(payoutConfigFromEnv({ ...CHAIN, OFFPEAK_PAYOUT_CHAIN_ID: "base" })).rejects.toThrow(/OFFPEAK_PAYOUT_CHAIN_ID must be a whole number/);
    await expect(payoutConfigFromEnv({ ...CHAIN, OFFPEAK_WITHDRAWAL_FEE_USD: "-1" })).rejects.toThrow(/OFFPEAK_WITHDRAWAL_FEE_USD must be a USD amount/);
    await expect(payoutConfigFromEnv({ ...CHAIN, OFFPEAK_WITHDRAWAL_MIN_USD: "2000" })).rejects.toThrow(/minimum is above the daily limit/);
    await expect(payoutConfigFromEnv({ ...CHAIN, OFFPEAK_PAYOUT_TOKEN_DECIMALS: "2", OFFPEAK_WITHDRAWAL_MIN_USD: "5.001" })).rejects.toThrow(/multiple of 10000/);
    await expect(payoutConfigFromEnv({ ...CHAIN, OFFPEAK_PAYOUT_RPC_URL: "ftp://x" })).rejects.toThrow(/http:\/\/ or https:\/\//);
  });
});
