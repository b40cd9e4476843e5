/**
 * Micro-USD to the payout token's own units, in integers: a 6-decimal token (USDC) takes 1 unit
 * per µUSD, an 18-decimal one 10^12 units per µUSD; a token with fewer than 6 decimals takes
 * only amounts it can represent exactly.
 */

/** Decimals of micro-USD: 1 USD = 10^6 µUSD. */
const MICRO_DECIMALS = 6;

/** The token amount worth `microUsd`, or a RangeError naming the smallest step the token allows. */
export function microUsdToTokenUnits(microUsd: number, tokenDecimals: number): bigint {
  if (!Number.isSafeInteger(microUsd) || microUsd < 0) throw new RangeError(`amount must be a non-negative safe integer of µUSD, got ${microUsd}`);
  if (!Number.isInteger(tokenDecimals) || tokenDecimals < 0 || tokenDecimals > 36) throw new RangeError(`token decimals must be 0..36, got ${tokenDecimals}`);
  const amount = BigInt(microUsd);
  if (tokenDecimals >= MICRO_DECIMALS) return amount * 10n ** BigInt(tokenDecimals - MICRO_DECIMALS);
  const step = 10n ** BigInt(MICRO_DECIMALS - tokenDecimals);
  if (amount % step !== 0n) throw new RangeError(`this token counts in steps of ${step} µUSD; ${microUsd} µUSD is not a whole number of them`);
  return amount / step;
}

/** The µUSD step a token can pay exactly (1 for tokens of 6 decimals or more). */
export function smallestStepMicroUsd(tokenDecimals: number): number {
  return tokenDecimals >= MICRO_DECIMALS ? 1 : 10 ** (MICRO_DECIMALS - tokenDecimals);
}
