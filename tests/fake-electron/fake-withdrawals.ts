/**
 * The withdrawal side of the fake agent: terms, a balance and a history kept in memory. A
 * withdrawal is checked as the coordinator checks it (EIP-55 destination, minimum, daily limit,
 * amount + fee within the balance) and starts "requested"; tests move it on with
 * {@link FakeWithdrawals.advance}, as the payout worker would (a failure is refunded).
 */
import type { Result } from "../../shared/control-api";
import { formatUsd } from "../../shared/money";
import { destinationProblem, type WithdrawalAsk, type WithdrawalTermsView, type WithdrawalView } from "../../shared/withdrawal";

/** Terms like a USDC payout's: $0.10 fee, $5 minimum, $1,000 a day, with $12.50 available. */
export function sampleWithdrawalTerms(address: string, overrides: Partial<WithdrawalTermsView> = {}): WithdrawalTermsView {
  return {
    chainId: 8453,
    tokenAddress: "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913",
    tokenSymbol: "USDC",
    tokenDecimals: 6,
    feeMicroUsd: 100_000,
    minimumMicroUsd: 5_000_000,
    dailyLimitMicroUsd: 1_000_000_000,
    confirmations: 3,
    address,
    availableMicroUsd: 12_500_000,
    withdrawnTodayMicroUsd: 0,
    ...overrides,
  };
}

/** In-memory withdrawals of one node. */
export class FakeWithdrawals {
  terms: WithdrawalTermsView;
  /** Newest first. */
  history: WithdrawalView[] = [];
  /** Every withdraw call, in order, refused ones included. */
  readonly calls: WithdrawalAsk[] = [];
  /** When set, every call fails with this message (the coordinator cannot be reached, …). */
  failWith: string | null = null;
  now: () => number = () => Date.now();
  /** Told of every change of the history (the fake agent pushes it with its state, as the agent does). */
  onChange: () => void = () => {};
  private next = 1;

  constructor(address: string) {
    this.terms = sampleWithdrawalTerms(address);
  }

  async getTerms(): Promise<Result<WithdrawalTermsView>> {
    if (this.failWith !== null) return { ok: false, error: this.failWith };
    return { ok: true, value: this.terms };
  }

  async list(): Promise<Result<WithdrawalView[]>> {
    if (this.failWith !== null) return { ok: false, error: this.failWith };
    return { ok: true, value: this.history };
  }

  async withdraw(ask: WithdrawalAsk): Promise<Result<WithdrawalView>> {
    this.calls.push(ask);
    if (this.failWith !== null) return { ok: false, error: this.failWith };
    const problem = destinationProblem(ask.to);
    if (problem) return { ok: false, error: problem };
    const t = this.terms;
    if (ask.amountMicroUsd < t.minimumMicroUsd) return { ok: false, error: `The smallest withdrawal is ${formatUsd(t.minimumMicroUsd)}.` };
    if (t.withdrawnTodayMicroUsd + ask.amountMicroUsd > t.dailyLimitMicroUsd) {
      return { ok: false, error: `This would pass the daily limit of ${formatUsd(t.dailyLimitMicroUsd)}.` };
    }
    if (ask.amountMicroUsd + t.feeMicroUsd > t.availableMicroUsd) {
      return {
        ok: false,
        error: `The available balance is ${formatUsd(t.availableMicroUsd)}; ${formatUsd(ask.amountMicroUsd)} plus the ${formatUsd(t.feeMicroUsd)} network fee is more.`,
      };
    }
    const at = this.now();
    const view: WithdrawalView = {
      id: `wd_${this.next++}`,
      to: ask.to,
      amountMicroUsd: ask.amountMicroUsd,
      feeMicroUsd: t.feeMicroUsd,
      status: "requested",
      txHash: null,
      failureReason: null,
      chainId: t.chainId,
      createdAt: at,
      updatedAt: at,
    };
    this.history = [view, ...this.history];
    this.terms = {
      ...t,
      availableMicroUsd: t.availableMicroUsd - ask.amountMicroUsd - t.feeMicroUsd,
      withdrawnTodayMicroUsd: t.withdrawnTodayMicroUsd + ask.amountMicroUsd,
    };
    this.onChange();
    return { ok: true, value: view };
  }

  /** Moves a withdrawal on ("sent" with its hash, "confirmed", "failed" with a reason). */
  advance(id: string, patch: Partial<Pick<WithdrawalView, "status" | "txHash" | "failureReason">>): void {
    if (!this.history.some((w) => w.id === id)) throw new Error(`no withdrawal ${id}`);
    const before = this.history.find((w) => w.id === id);
    this.history = this.history.map((w) => (w.id === id ? { ...w, ...patch, updatedAt: this.now() } : w));
    // A failed withdrawal gives the amount and the fee back, as the coordinator's refund does.
    if (before && before.status !== "failed" && patch.status === "failed") {
      this.terms = {
        ...this.terms,
        availableMicroUsd: this.terms.availableMicroUsd + before.amountMicroUsd + before.feeMicroUsd,
        withdrawnTodayMicroUsd: this.terms.withdrawnTodayMicroUsd - before.amountMicroUsd,
      };
    }
    this.onChange();
  }
}
