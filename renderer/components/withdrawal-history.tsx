/**
 * The node's withdrawals, newest first: when, how much, where to, how each stands (with the
 * reason when one failed and was refunded) and its transaction hash. {@link WithdrawalsCard}
 * puts the list, the terms and the Withdraw button together for a page to mount.
 */
import { useCallback, useEffect, useState } from "react";
import type { ControlApi } from "../../shared/control-api";
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

/** Statuses that will still change: the list refreshes itself while one is shown. */
const MOVING: ReadonlySet<WithdrawalStatus> = new Set(["requested", "signed", "sent"]);

/** How often the list asks again while a withdrawal is on its way (ms). */
const REFRESH_MS = 5_000;

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

/** Terms, Withdraw button and history, loaded from the agent; for the Wallet or Earnings page. */
export function WithdrawalsCard(props: { api: Pick<ControlApi, "getWithdrawalTerms" | "withdraw" | "listWithdrawals">; connected: boolean }) {
  const { api } = props;
  const terms = useLoader<WithdrawalTermsView>(useCallback(() => api.getWithdrawalTerms(), [api]));
  const history = useLoader<WithdrawalView[]>(useCallback(() => api.listWithdrawals(), [api]));
  const [open, setOpen] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const close = useCallback(() => setOpen(false), []);
  const { reload: reloadHistory } = history;
  const { reload: reloadTerms } = terms;
  const moving = history.loaded.status === "ready" && history.loaded.value.some((w) => MOVING.has(w.status));

  useEffect(() => {
    if (!moving || !props.connected) return;
    const timer = setInterval(reloadHistory, REFRESH_MS);
    return () => clearInterval(timer);
  }, [moving, props.connected, reloadHistory]);

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
      {history.loaded.status === "loading" && <p className="muted">Loading withdrawals…</p>}
      {history.loaded.status === "error" && <p className="hint">Could not load the withdrawals: {history.loaded.error}</p>}
      {history.loaded.status === "ready" && <WithdrawalHistory withdrawals={history.loaded.value} />}
      {open && terms.loaded.status === "ready" && (
        <WithdrawDialog
          terms={terms.loaded.value}
          withdraw={(request) => api.withdraw(request)}
          onCancel={close}
          onDone={(withdrawal) => {
            setOpen(false);
            setNotice(`Withdrawal of ${formatUsd(withdrawal.amountMicroUsd)} requested. Its transaction shows here once it is sent.`);
            reloadHistory();
            reloadTerms();
          }}
        />
      )}
    </section>
  );
}
