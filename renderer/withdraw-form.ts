/**
 * What the withdraw dialog checks as the owner types: the destination (an EIP-55 checksummed
 * address), the amount (USD with at most 6 decimals) against the minimum, the day's limit and
 * the balance with the fee — before anything is signed.
 */
import { formatUsd, MICRO_PER_USD, parseUsd } from "../shared/money";
import { destinationProblem, type WithdrawalTermsView } from "../shared/withdrawal";

/** What the owner typed. */
export interface WithdrawDraft {
  readonly to: string;
  readonly amount: string;
}

/** The draft judged: each field's error (null when fine) and, when all is fine, the amounts. */
export interface WithdrawCheck {
  readonly toError: string | null;
  readonly amountError: string | null;
  readonly amountMicroUsd: number | null;
  /** Amount + fee: what leaves the balance. */
  readonly totalMicroUsd: number | null;
  readonly ready: boolean;
}

/** The most this node can withdraw now: its balance less the fee, within today's limit. */
export function maxWithdrawable(terms: WithdrawalTermsView): number {
  const dailyLeft = terms.dailyLimitMicroUsd - terms.withdrawnTodayMicroUsd;
  return Math.max(0, Math.min(terms.availableMicroUsd - terms.feeMicroUsd, dailyLeft));
}

/** µUSD as a plain decimal for an input field: "12.5", "0.000123", "7". */
export function plainUsd(microUsd: number): string {
  const whole = Math.floor(microUsd / MICRO_PER_USD);
  const frac = String(microUsd % MICRO_PER_USD).padStart(6, "0").replace(/0+$/, "");
  return frac ? `${whole}.${frac}` : String(whole);
}

/** Judges the draft against the terms. An empty amount is not an error yet, only not ready. */
export function checkWithdrawDraft(draft: WithdrawDraft, terms: WithdrawalTermsView): WithdrawCheck {
  const to = draft.to.trim();
  const toError = to === "" ? "Enter the address to send to." : destinationProblem(to);
  const text = draft.amount.trim().replace(/^\$\s*/, "");
  let amountError: string | null = null;
  let amountMicroUsd: number | null = null;
  if (text !== "") {
    try {
      amountMicroUsd = parseUsd(text);
    } catch {
      amountError = "Enter an amount in dollars, such as 12.50.";
    }
  }
  if (amountMicroUsd !== null) {
    const dailyLeft = Math.max(0, terms.dailyLimitMicroUsd - terms.withdrawnTodayMicroUsd);
    if (amountMicroUsd < terms.minimumMicroUsd) amountError = `The smallest withdrawal is ${formatUsd(terms.minimumMicroUsd)}.`;
    else if (amountMicroUsd > dailyLeft) amountError = `The daily limit leaves ${formatUsd(dailyLeft)} for today (UTC).`;
    else if (amountMicroUsd + terms.feeMicroUsd > terms.availableMicroUsd) {
      amountError = `With the ${formatUsd(terms.feeMicroUsd)} fee this is more than the ${formatUsd(terms.availableMicroUsd)} available.`;
    }
  }
  const ready = toError === null && amountError === null && amountMicroUsd !== null;
  return {
    toError,
    amountError,
    amountMicroUsd: amountError === null ? amountMicroUsd : null,
    totalMicroUsd: ready && amountMicroUsd !== null ? amountMicroUsd + terms.feeMicroUsd : null,
    ready,
  };
}
