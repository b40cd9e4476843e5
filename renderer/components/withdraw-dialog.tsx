/**
 * The withdraw dialog: where to (the node's own address first, EIP-55 checked as it is typed),
 * how much, and — before anything is signed — the network fee, the minimum, the daily limit and
 * what leaves the balance; then a confirmation step, and the agent signs and sends it.
 */
import { useId, useState } from "react";
import { useModalDialog } from "../use-modal-dialog";
import type { Result } from "../../shared/control-api";
import { formatUsd } from "../../shared/money";
import type { WithdrawalAsk, WithdrawalTermsView, WithdrawalView } from "../../shared/withdrawal";
import { checkWithdrawDraft, maxWithdrawable, plainUsd } from "../withdraw-form";
import "./withdrawals.css";

type Step = "form" | "confirm" | "sending";

function TermsFacts(props: { terms: WithdrawalTermsView; totalMicroUsd: number | null }) {
  const { terms } = props;
  return (
    <dl className="facts withdraw-terms" data-testid="withdraw-terms">
      <dt>Available</dt>
      <dd data-testid="withdraw-available">{formatUsd(terms.availableMicroUsd)}</dd>
      <dt>Network fee</dt>
      <dd data-testid="withdraw-fee">{formatUsd(terms.feeMicroUsd)}, on top of the amount</dd>
      <dt>Minimum</dt>
      <dd data-testid="withdraw-minimum">{formatUsd(terms.minimumMicroUsd)}</dd>
      <dt>Daily limit</dt>
      <dd data-testid="withdraw-daily-limit">
        {formatUsd(terms.dailyLimitMicroUsd)} ({formatUsd(terms.withdrawnTodayMicroUsd)} withdrawn today, UTC)
      </dd>
      {props.totalMicroUsd !== null && (
        <>
          <dt>Leaves your balance</dt>
          <dd data-testid="withdraw-total">{formatUsd(props.totalMicroUsd)}</dd>
        </>
      )}
    </dl>
  );
}

export function WithdrawDialog(props: {
  terms: WithdrawalTermsView;
  /** Signs and sends (ControlApi.withdraw). */
  withdraw(request: WithdrawalAsk): Promise<Result<WithdrawalView>>;
  onDone(withdrawal: WithdrawalView): void;
  onCancel(): void;
}) {
  const { terms, onCancel } = props;
  const ref = useModalDialog(onCancel);
  const titleId = useId();
  const toId = useId();
  const toStatusId = useId();
  const amountId = useId();
  const amountErrorId = useId();
  const [to, setTo] = useState(terms.address);
  const [amount, setAmount] = useState("");
  const [step, setStep] = useState<Step>("form");
  const [error, setError] = useState<string | null>(null);
  const check = checkWithdrawDraft({ to, amount }, terms);
  const max = maxWithdrawable(terms);
  const canWithdraw = max >= terms.minimumMicroUsd;

  async function send() {
    if (!check.ready || check.amountMicroUsd === null) return;
    setStep("sending");
    setError(null);
    const result = await props.withdraw({ to: to.trim(), amountMicroUsd: check.amountMicroUsd }).catch((e: unknown) => ({ ok: false as const, error: String(e) }));
    if (result.ok) {
      props.onDone(result.value);
      return;
    }
    setError(result.error);
    setStep("confirm");
  }

  const ownAddress = to.trim() === terms.address;
  return (
    <dialog ref={ref} className="dialog withdraw-dialog" aria-labelledby={titleId} data-testid="withdraw-dialog">
      <h2 id={titleId}>{step === "form" ? "Withdraw earnings" : "Confirm the withdrawal"}</h2>
      {step === "form" ? (
        <form
          className="withdraw-form"
          onSubmit={(event) => {
            event.preventDefault();
            if (check.ready) setStep("confirm");
          }}
        >
          <div className="field">
            <label htmlFor={toId} className="field-label">
              Send to
            </label>
            <input
              id={toId}
              className="input address-input"
              value={to}
              spellCheck={false}
              autoComplete="off"
              placeholder="0x…"
              aria-invalid={to !== "" && check.toError !== null}
              aria-describedby={toStatusId}
              onChange={(event) => setTo(event.target.value)}
            />
            <p id={toStatusId} className={check.toError === null ? "address-ok" : "error-text"} data-testid="withdraw-to-status">
              {check.toError === null ? (ownAddress ? "This node's own address (checksum OK)" : "Checksum OK") : check.toError}
            </p>
            {!ownAddress && terms.address !== "" && (
              <button type="button" className="button small" onClick={() => setTo(terms.address)}>
                Use this node&apos;s address
              </button>
            )}
          </div>
          <div className="field">
            <label htmlFor={amountId} className="field-label">
              Amount ({terms.tokenSymbol}, in dollars)
            </label>
            <div className="inline-field">
              <input
                id={amountId}
                className="input number"
                inputMode="decimal"
                value={amount}
                placeholder="12.50"
                aria-invalid={check.amountError !== null}
                aria-describedby={amountErrorId}
                onChange={(event) => setAmount(event.target.value)}
              />
              <button type="button" className="button small" disabled={!canWithdraw} onClick={() => setAmount(plainUsd(max))}>
                Max
              </button>
            </div>
            <p id={amountErrorId} className="error-text" data-testid="withdraw-amount-error">
              {check.amountError ?? (canWithdraw ? "" : `Nothing to withdraw yet: the minimum is ${formatUsd(terms.minimumMicroUsd)} plus the fee.`)}
            </p>
          </div>
          <TermsFacts terms={terms} totalMicroUsd={check.totalMicroUsd} />
          <div className="dialog-actions">
            <button type="button" className="button" onClick={onCancel}>
              Cancel
            </button>
            <button type="submit" className="button primary" disabled={!check.ready}>
              Review
            </button>
          </div>
        </form>
      ) : (
        <div className="withdraw-confirm">
          <p data-testid="withdraw-summary">
            Send <strong>{formatUsd(check.amountMicroUsd ?? 0)}</strong> in {terms.tokenSymbol} to <code className="address">{to.trim()}</code> on chain{" "}
            {terms.chainId}. With the {formatUsd(terms.feeMicroUsd)} network fee, {formatUsd(check.totalMicroUsd ?? 0)} leaves your balance.
          </p>
          <p className="hint">A transfer on chain cannot be taken back: check the address.</p>
          {error !== null && (
            <p className="form-error" role="alert" data-testid="withdraw-error">
              {error}
            </p>
          )}
          <div className="dialog-actions">
            <button type="button" className="button" disabled={step === "sending"} onClick={() => setStep("form")}>
              Back
            </button>
            <button type="button" className="button primary" disabled={step === "sending"} onClick={() => void send()} autoFocus>
              {step === "sending" ? "Sending…" : "Confirm withdrawal"}
            </button>
          </div>
        </div>
      )}
    </dialog>
  );
}
