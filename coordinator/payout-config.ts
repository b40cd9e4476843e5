/**
 * The payout configuration from the environment: which chain and token withdrawals are paid
 * in, the fee, minimum and daily limit, and the treasury key that pays them. The key comes from
 * OFFPEAK_TREASURY_KEY or from the file OFFPEAK_TREASURY_KEY_FILE names; no message here ever
 * repeats it.
 */
import { readFile } from "node:fs/promises";
import { getAddress, isAddress } from "viem";
import { parseUsd } from "../shared/money";
import type { WithdrawalTerms } from "../shared/withdrawal";
import { connectPayoutChain, type PayoutChainClient } from "./payout-chain";
import { smallestStepMicroUsd } from "./token-units";

/** Defaults for what an operator does not set. */
export const PAYOUT_DEFAULTS = {
  tokenSymbol: "USDC",
  tokenDecimals: 6,
  feeMicroUsd: 100_000,
  minimumMicroUsd: 5_000_000,
  dailyLimitMicroUsd: 1_000_000_000,
  confirmations: 3,
} as const;

/** What the environment configures: the terms always, the chain when a treasury key is given. */
export interface PayoutConfig {
  readonly terms: WithdrawalTerms;
  readonly rpcUrl: string;
  /** Null when this coordinator takes withdrawals but another one pays them. */
  readonly treasuryKey: `0x${string}` | null;
}

const KEY_PATTERN = /^0x[0-9a-fA-F]{64}$/;

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const text = env[name]?.trim();
  if (!text) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max) throw new Error(`${name} must be a whole number from ${min} to ${max}, got "${text}"`);
  return n;
}

function usd(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name]?.trim();
  if (!text) return fallback;
  try {
    return parseUsd(text);
  } catch {
    throw new Error(`${name} must be a USD amount such as 0.10 or 25, got "${text}"`);
  }
}

/** Reads the treasury key from OFFPEAK_TREASURY_KEY or OFFPEAK_TREASURY_KEY_FILE; null when neither is set. */
export async function loadTreasuryKey(env: NodeJS.ProcessEnv): Promise<`0x${string}` | null> {
  const direct = env.OFFPEAK_TREASURY_KEY?.trim();
  const file = env.OFFPEAK_TREASURY_KEY_FILE?.trim();
  if (direct && file) throw new Error("set OFFPEAK_TREASURY_KEY or OFFPEAK_TREASURY_KEY_FILE, not both");
  let key: string;
  if (direct) key = direct;
  else if (file) {
    try {
      key = (await readFile(file, "utf8")).trim();
    } catch (error) {
      throw new Error(`cannot read OFFPEAK_TREASURY_KEY_FILE (${file}): ${(error as NodeJS.ErrnoException).code ?? "unreadable"}`);
    }
  } else return null;
  if (!key.startsWith("0x")) key = `0x${key}`;
  // The message names the variable, never the value.
  if (!KEY_PATTERN.test(key)) throw new Error(`the treasury key (${direct ? "OFFPEAK_TREASURY_KEY" : "OFFPEAK_TREASURY_KEY_FILE"}) is not a 32-byte hex private key`);
  return key as `0x${string}`;
}

/**
 * The payout configuration, or null when withdrawals are not configured (none of
 * OFFPEAK_PAYOUT_RPC_URL, OFFPEAK_PAYOUT_CHAIN_ID, OFFPEAK_PAYOUT_TOKEN is set). Throws a
 * readable error for a partial or malformed configuration.
 */
export async function payoutConfigFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<PayoutConfig | null> {
  const rpcUrl = env.OFFPEAK_PAYOUT_RPC_URL?.trim() ?? "";
  const chainText = env.OFFPEAK_PAYOUT_CHAIN_ID?.trim() ?? "";
  const token = env.OFFPEAK_PAYOUT_TOKEN?.trim() ?? "";
  if (!rpcUrl && !chainText && !token) {
    if (env.OFFPEAK_TREASURY_KEY || env.OFFPEAK_TREASURY_KEY_FILE) throw new Error("a treasury key is set but no payout chain: set OFFPEAK_PAYOUT_RPC_URL, OFFPEAK_PAYOUT_CHAIN_ID and OFFPEAK_PAYOUT_TOKEN");
    return null;
  }
  const missing = [
    ["OFFPEAK_PAYOUT_RPC_URL", rpcUrl],
    ["OFFPEAK_PAYOUT_CHAIN_ID", chainText],
    ["OFFPEAK_PAYOUT_TOKEN", token],
  ].filter(([, v]) => !v);
  if (missing.length > 0) throw new Error(`withdrawals need ${missing.map(([n]) => n).join(", ")} as well`);
  if (!/^https?:\/\//.test(rpcUrl)) throw new Error("OFFPEAK_PAYOUT_RPC_URL must be an http:// or https:// address");
  if (!isAddress(token, { strict: false })) throw new Error(`OFFPEAK_PAYOUT_TOKEN must be the token contract's 0x address, got "${token}"`);
  const terms: WithdrawalTerms = {
    chainId: integer(env, "OFFPEAK_PAYOUT_CHAIN_ID", 0, 1, Number.MAX_SAFE_INTEGER),
    tokenAddress: getAddress(token),
    tokenSymbol: env.OFFPEAK_PAYOUT_TOKEN_SYMBOL?.trim() || PAYOUT_DEFAULTS.tokenSymbol,
    tokenDecimals: integer(env, "OFFPEAK_PAYOUT_TOKEN_DECIMALS", PAYOUT_DEFAULTS.tokenDecimals, 0, 36),
    feeMicroUsd: usd(env, "OFFPEAK_WITHDRAWAL_FEE_USD", PAYOUT_DEFAULTS.feeMicroUsd),
    minimumMicroUsd: usd(env, "OFFPEAK_WITHDRAWAL_MIN_USD", PAYOUT_DEFAULTS.minimumMicroUsd),
    dailyLimitMicroUsd: usd(env, "OFFPEAK_WITHDRAWAL_DAILY_LIMIT_USD", PAYOUT_DEFAULTS.dailyLimitMicroUsd),
    confirmations: integer(env, "OFFPEAK_PAYOUT_CONFIRMATIONS", PAYOUT_DEFAULTS.confirmations, 1, 1000),
  };
  checkTerms(terms);
  return { terms, rpcUrl, treasuryKey: await loadTreasuryKey(env) };
}

/** Throws when the terms contradict themselves (a minimum above the daily limit, …). */
export function checkTerms(terms: WithdrawalTerms): void {
  if (terms.minimumMicroUsd < 1) throw new Error("the withdrawal minimum must be at least 1 µUSD");
  if (terms.minimumMicroUsd > terms.dailyLimitMicroUsd) throw new Error("the withdrawal minimum is above the daily limit: no withdrawal could pass");
  const step = smallestStepMicroUsd(terms.tokenDecimals);
  if (terms.minimumMicroUsd % step !== 0) throw new Error(`the token has ${terms.tokenDecimals} decimals: the minimum must be a multiple of ${step} µUSD`);
}

/**
 * The coordinator's `withdrawals` option from the environment: null when payouts are not
 * configured; without a treasury key the coordinator takes requests and another one pays them.
 */
export async function withdrawalOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<{ terms: WithdrawalTerms; chain?: PayoutChainClient } | null> {
  const config = await payoutConfigFromEnv(env);
  if (!config) return null;
  if (!config.treasuryKey) return { terms: config.terms };
  const chain = connectPayoutChain({ rpcUrl: config.rpcUrl, chainId: config.terms.chainId, token: config.terms.tokenAddress as `0x${string}`, treasuryKey: config.treasuryKey });
  return { terms: config.terms, chain };
}
