/**
 * The node's withdrawals, newest first: when, how much, where to, how each stands (with the
 * reason when one failed and was refunded) and its transaction hash. {@link WithdrawalsCard}
 * puts the list, the terms and the Withdraw button together for a page to mount. The list comes
 * with the state the agent pushes; the agent follows a withdrawal on its way, so nothing here
 * asks again on a timer.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import type { ControlApi, WithdrawalFeed } from "../../shared/control-api";
import { formatUsd } from "../../shared/money";
import type { WithdrawalStatus, WithdrawalTermsView, WithdrawalView } from "../../shared/withdrawal";
import { useLoader } from "../use-loader";
import { WithdrawDialog } from "./withdraw-dialog";
import "./withdrawals.css";

/** How a status reads. */
export const STATUS_LABELS: Readonly<Record<WithdrawalStatus, string>> = {
  requested: "Requested",
  signed: "Sending",
  sent: "Sent, confirming",
  confirmed: "Confirmed",
  failed: "Failed, refunded",
};

function when(at: number): string {
  return new Date(at).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function WithdrawalHistory(props: { withdrawals: readonly WithdrawalView[] }) {
  if (props.withdrawals.length === 0) {
    return (
      <p className="empty" data-testid="withdrawals-empty">
        No withdrawals yet.
      </p>
    );
  }
  return (
    <ul className="withdrawal-list" aria-label="Withdrawals">
      {props.withdrawals.map((w) => (
        <li key={w.id} className="withdrawal-row" data-testid="withdrawal" data-status={w.status}>
          <div className="withdrawal-main">
            <span className="withdrawal-amount">{formatUsd(w.amountMicroUsd)}</span>
            <span className={`withdrawal-status status-${w.status}`} data-testid="withdrawal-status">
              {STATUS_LABELS[w.status]}
            </span>
            <span className="muted">{when(w.createdAt)}</span>
          </div>
          <div className="withdrawal-detail">
            <span className="muted">to</span> <code className="address">{w.to}</code>
            <span className="muted"> · fee {formatUsd(w.feeMicroUsd)}</span>
          </div>
          {w.txHash !== null && (
            <div className="withdrawal-detail">
              <span className="muted">transaction</span>{" "}
              <code className="address" data-testid="withdrawal-tx">
                {w.txHash}
              </code>
            </div>
          )}
          {w.status === "failed" && (
            <p className="error-text" data-testid="withdrawal-failure">
              {w.failureReason ?? "The transfer failed."} The amount and the fee are back in your balance.
            </p>
          )}
        </li>
      ))}
    </ul>
  );
}

/**
 * Terms, Withdraw button and history; for the Wallet or Earnings page. `withdrawals` and
 * `balanceMicroUsd` come from the pushed state; the terms (with the available balance) are asked
 * for again when the balance moves.
 */
export function WithdrawalsCard(props: {
  api: Pick<ControlApi, "getWithdrawalTerms" | "withdraw">;
  connected: boolean;
  withdrawals: WithdrawalFeed;
  balanceMicroUsd: number;
}) {
  const { api, withdrawals } = props;
  const terms = useLoader<WithdrawalTermsView>(useCallback(() => api.getWithdrawalTerms(), [api]));
  const [open, setOpen] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const close = useCallback(() => setOpen(false), []);
  const { reload: reloadTerms } = terms;

  // A withdrawal that ended (refunded or not) or a credit moved the balance: the terms follow it.
  const shownBalance = useRef(props.balanceMicroUsd);
  useEffect(() => {
    if (shownBalance.current === props.balanceMicroUsd) return;
    shownBalance.current = props.balanceMicroUsd;
    reloadTerms();
  }, [props.balanceMicroUsd, reloadTerms]);

  return (
    <section className="card wide withdrawals-card" aria-labelledby="withdrawals-heading" data-testid="withdrawals-card">
      <div className="card-head-row">
        <h2 id="withdrawals-heading">Withdrawals</h2>
        <button
          type="button"
          className="button primary"
          disabled={!props.connected || terms.loaded.status !== "ready"}
          onClick={() => {
            setNotice(null);
            setOpen(true);
          }}
        >
          Withdraw…
        </button>
      </div>
      {terms.loaded.status === "error" && (
        <p className="hint" data-testid="withdraw-unavailable">
          Withdrawals are not available now: {terms.loaded.error}
        </p>
      )}
      {notice !== null && (
        <p className="notice" role="status" data-testid="withdraw-notice">
          {notice}
        </p>
      )}
      {withdrawals.status === "loading" && <p className="muted">Loading withdrawals…</p>}
      {withdrawals.status === "error" && (
        <p className="hint" data-testid="withdrawals-error">
          {withdrawals.items.length > 0 ? "Could not refresh the withdrawals" : "Could not load the withdrawals"}: {withdrawals.error}
        </p>
      )}
      {(withdrawals.status === "ready" || withdrawals.items.length > 0) && <WithdrawalHistory withdrawals={withdrawals.items} />}
      {open && terms.loaded.status === "ready" && (
        <WithdrawDialog
          terms={terms.loaded.value}
          withdraw={(request) => api.withdraw(request)}
          onCancel={close}
          onDone={(withdrawal) => {
            setOpen(false);
            setNotice(`Withdrawal of ${formatUsd(withdrawal.amountMicroUsd)} requested. Its transaction shows here once it is sent.`);
            reloadTerms();
          }}
        />
      )}
    </section>
  );
}
