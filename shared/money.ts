/**
 * Money math. All amounts are integers in micro-USD (1 USD = 1,000,000 µUSD, the same unit as
 * USDC's six decimals). Prices are µUSD per million tokens, input and output apart.
 */

export const MICRO_PER_USD = 1_000_000;
const TOKENS_PER_PRICE_UNIT = 1_000_000n;

/** A model's price: integer µUSD per million prompt tokens and per million completion tokens. */
export interface ModelPrice {
  readonly inputMicroUsdPerMTok: number;
  readonly outputMicroUsdPerMTok: number;
}

/** The price a model gets when nobody has set one: $0.10 per M input, $0.20 per M output tokens. */
export const DEFAULT_PRICE: ModelPrice = { inputMicroUsdPerMTok: 100_000, outputMicroUsdPerMTok: 200_000 };

function assertCount(name: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${name} must be a non-negative safe integer, got ${n}`);
}

/**
 * What a consumer pays for a job, in µUSD: the exact price rounded up to the next whole µUSD,
 * so a job that used any token costs at least 1 µUSD and the network never undercharges.
 */
export function jobCostMicroUsd(price: ModelPrice, promptTokens: number, completionTokens: number): number {
  assertCount("promptTokens", promptTokens);
  assertCount("completionTokens", completionTokens);
  assertCount("input price", price.inputMicroUsdPerMTok);
  assertCount("output price", price.outputMicroUsdPerMTok);
  const numerator =
    BigInt(promptTokens) * BigInt(price.inputMicroUsdPerMTok) + BigInt(completionTokens) * BigInt(price.outputMicroUsdPerMTok);
  const cost = (numerator + TOKENS_PER_PRICE_UNIT - 1n) / TOKENS_PER_PRICE_UNIT;
  return Number(cost);
}

/**
 * Splits a job's cost between the node and the platform. The fee is in basis points
 * (1/100 of a percent) and rounds down, so the node gets the remainder; the two always add
 * up to the cost exactly.
 */
export function splitCost(costMicroUsd: number, feeBps: number): { nodeMicroUsd: number; feeMicroUsd: number } {
  assertCount("cost", costMicroUsd);
  if (!Number.isInteger(feeBps) || feeBps < 0 || feeBps > 10_000) throw new RangeError(`fee must be 0..10000 basis points, got ${feeBps}`);
  const feeMicroUsd = Number((BigInt(costMicroUsd) * BigInt(feeBps)) / 10_000n);
  return { nodeMicroUsd: costMicroUsd - feeMicroUsd, feeMicroUsd };
}

/** Converts a USD amount typed by a person ("10", "12.50") to µUSD, exactly, or throws. */
export function parseUsd(text: string): number {
  const m = /^\s*(\d{1,12})(?:\.(\d{0,6}))?\s*$/.exec(text);
  if (!m) throw new RangeError(`not a USD amount with at most 6 decimals: "${text}"`);
  const whole = BigInt(m[1] ?? "0");
  const frac = BigInt((m[2] ?? "").padEnd(6, "0"));
  return Number(whole * 1_000_000n + frac);
}

/** Formats µUSD for people: "$0.000123", "$12.50"; at least two decimals, at most six. */
export function formatUsd(microUsd: number): string {
  assertCount("amount", Math.abs(microUsd));
  const sign = microUsd < 0 ? "-" : "";
  const abs = Math.abs(microUsd);
  const whole = Math.floor(abs / MICRO_PER_USD);
  let frac = String(abs % MICRO_PER_USD).padStart(6, "0").replace(/0+$/, "");
  if (frac.length < 2) frac = frac.padEnd(2, "0");
  return `${sign}$${whole.toLocaleString("en-US")}.${frac}`;
}
