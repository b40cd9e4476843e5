/**
 * The node's money in its state and its control API: the totals the coordinator pushes (at
 * login and with every credit), the earnings view, and withdrawals — made, shown at once and
 * followed until they end. A withdrawal moves the balance without a credit, so the totals are
 * read again after one; such a read is dropped when a pushed total or another address came
 * after it started, since it would then show an older balance than the one on screen.
 */
import type { NodeState, Result } from "../../shared/control-api";
import { earningsRangeSchema, type EarningsRange, type EarningsView } from "../../shared/earnings-view";
import type { Logger } from "../../shared/logger";
import type { CoordinatorMessage } from "../../shared/protocol";
import type { WithdrawalAsk, WithdrawalTermsView, WithdrawalView } from "../../shared/withdrawal";
import { CoordinatorIdentity } from "./coordinator-identity";
import { EarningsClient } from "./coordinator-earnings";
import { EarningsService } from "./earnings-service";
import { readNodeTotals } from "./node-totals";
import type { ReceiptLog } from "./receipt-log";
import type { WalletVault } from "./wallet";
import { coordinatorHttpUrl, WithdrawalClient } from "./withdrawal-client";
import { WithdrawalFollower } from "./withdrawal-follower";

type CreditMessage = Extract<CoordinatorMessage, { type: "credit" }>;

export interface EarningsControlsOptions {
  readonly coordinatorUrl: string;
  readonly wallet: WalletVault;
  /** The node's own record of the receipts it signs; without it, the earnings view is refused. */
  readonly receiptLog?: ReceiptLog;
  readonly logger: Logger;
  readonly now: () => number;
  /** Pauses between reads of a moving withdrawal (ms); see FOLLOW_DELAYS_MS. */
  readonly withdrawalFollowDelaysMs?: readonly number[];
  readonly state: () => NodeState;
  readonly update: (patch: Partial<NodeState>) => void;
  /** True once the agent is shutting down: late reads are dropped then. */
  readonly stopping: () => boolean;
}

/** Earnings, totals and withdrawals of one node. */
export class EarningsControls {
  private readonly withdrawals: WithdrawalClient;
  private readonly feed: WithdrawalFollower;
  private readonly client: EarningsClient;
  private readonly service: EarningsService | null;
  /** Totals the coordinator pushed (welcome, credits): a totals read that started before the latest is older than it. */
  private totalsHeard = 0;

  constructor(private readonly options: EarningsControlsOptions) {
    const { coordinatorUrl, wallet, now } = options;
    // One id for both clients: asked once, forgotten by either when a signature is refused.
    const identity = new CoordinatorIdentity(coordinatorHttpUrl(coordinatorUrl));
    this.withdrawals = new WithdrawalClient({ coordinatorUrl, wallet, identity });
    this.feed = new WithdrawalFollower({
      list: () => this.withdrawals.list(),
      onChange: (withdrawals) => options.update({ withdrawals }),
      onEnded: () => this.refreshTotals(),
      delaysMs: options.withdrawalFollowDelaysMs,
    });
    this.client = new EarningsClient({ coordinatorUrl, wallet, now, identity });
    const log = options.receiptLog;
    this.service = log
      ? new EarningsService({
          address: () => options.state().address,
          log,
          client: this.client,
          model: () => options.state().model?.id ?? null,
          now,
        })
      : null;
  }

  /** Earnings of the last 24 h, 7 d or 30 d from the coordinator, reconciled with this node's receipts. */
  async view(range: EarningsRange): Promise<Result<EarningsView>> {
    if (!earningsRangeSchema.safeParse(range).success) return { ok: false, error: 'getEarnings takes "24h", "7d" or "30d"' };
    if (!this.service) return { ok: false, error: "This node keeps no receipt record, so it cannot show its earnings." };
    return this.service.view(range);
  }

  /** The coordinator's withdrawal terms with this node's balance. */
  terms(): Promise<Result<WithdrawalTermsView>> {
    return this.withdrawals.terms();
  }

  /** This node's withdrawals at its coordinator, newest first. */
  list(): Promise<Result<WithdrawalView[]>> {
    return this.withdrawals.list();
  }

  /** Sends a withdrawal; the state shows it at once, follows it, and the balance it took. */
  async withdraw(request: WithdrawalAsk): Promise<Result<WithdrawalView>> {
    const result = await this.withdrawals.withdraw(request);
    if (result.ok) {
      this.feed.added(result.value);
      this.refreshTotals();
    }
    return result;
  }

  /** The coordinator's totals at login. */
  welcomed(totals: Pick<NodeState["earnings"], "balanceMicroUsd" | "todayMicroUsd">): void {
    this.totalsHeard += 1;
    const { state, update } = this.options;
    update({ earnings: { ...state().earnings, balanceMicroUsd: totals.balanceMicroUsd, todayMicroUsd: totals.todayMicroUsd } });
  }

  /** A job was credited: kept in the node's record, and its totals shown. */
  credited(message: CreditMessage): void {
    this.totalsHeard += 1;
    const { receiptLog, logger, state, update } = this.options;
    receiptLog?.recordCredit(message.jobId, message.amountMicroUsd).catch((error: Error) => {
      logger.warn("could not add a credit to the node's record", { jobId: message.jobId, error: error.message });
    });
    update({
      earnings: { balanceMicroUsd: message.balanceMicroUsd, todayMicroUsd: message.todayMicroUsd, jobsServed: state().earnings.jobsServed + 1 },
    });
  }

  /** The node has another address: its withdrawals are loaded again. */
  addressChanged(): void {
    this.feed.reset();
  }

  /** Reads the withdrawals now (at login, so an unreachable coordinator says so instead of "loading"). */
  refreshWithdrawals(): void {
    void this.feed.refresh();
  }

  /** The coordinator connection came up (read and follow withdrawals) or went away (stop following). */
  setConnected(connected: boolean): void {
    this.feed.setConnected(connected);
  }

  /** Stops following withdrawals for good (the agent shuts down). */
  stop(): void {
    this.feed.stop();
  }

  /** Reads the balance and today's earnings again (a withdrawal moved them without a credit). */
  private refreshTotals(): void {
    const heard = this.totalsHeard;
    const { state, update, logger, stopping } = this.options;
    const address = state().address;
    readNodeTotals(this.client).then(
      (totals) => {
        if (heard !== this.totalsHeard || address !== state().address || stopping()) return;
        update({ earnings: { ...state().earnings, ...totals } });
      },
      (error: Error) => logger.warn("could not read the node's totals", { error: error.message }),
    );
  }
}
