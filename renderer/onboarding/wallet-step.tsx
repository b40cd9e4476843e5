/**
 * Setup step: the wallet this node earns into, created on first start. The backup phrase is
 * offered on the Wallet page when the app has one; otherwise the address is shown to note down.
 */
import type { WalletView } from "../../shared/control-api";
import { StatusMessage } from "../components/status-message";
import { ROUTES } from "../routes";
import type { Loaded } from "../use-loader";

/** The Wallet page's link, when this build has that page. */
const walletLink = ROUTES.find((r) => (r.route as string) === "wallet")?.href ?? null;

export function WalletStep(props: { wallet: Loaded<WalletView>; busy: boolean; onUnlock(): void; onRetry(): void }) {
  const { wallet } = props;
  if (wallet.status === "loading") return <StatusMessage kind="loading" title="Opening your wallet…" />;
  if (wallet.status === "error") {
    return (
      <StatusMessage kind="error" title="Could not read the wallet">
        {wallet.error}{" "}
        <button type="button" className="button small" onClick={props.onRetry}>
          Try again
        </button>
      </StatusMessage>
    );
  }
  const view = wallet.value;
  return (
    <>
      {view.address !== null ? (
        <div className="card">
          <p className="field-label" id="wallet-address-label">
            Your earnings go to this address
          </p>
          <p className="address" aria-labelledby="wallet-address-label" data-testid="setup-address">
            {view.address}
          </p>
          <p className="hint">The key behind it is kept in {view.store}. It never leaves this machine.</p>
        </div>
      ) : (
        <p className="form-error" role="alert" data-testid="wallet-problem">
          {view.reason ?? "The wallet is not open."}
        </p>
      )}
      {view.state === "locked" && (
        <button type="button" className="button" disabled={props.busy} onClick={props.onUnlock}>
          Unlock the wallet
        </button>
      )}
      {view.address !== null &&
        (walletLink !== null ? (
          <p>
            <a className="button" href={walletLink} data-testid="backup-link">
              Back up the recovery phrase
            </a>{" "}
            <span className="hint">Write it down: it is the only way to get your earnings back if this machine is lost.</span>
          </p>
        ) : (
          <p className="hint" data-testid="backup-hint">
            Note this address down. <code>offpeak wallet backup</code> shows the recovery phrase that brings the wallet back on another machine.
          </p>
        ))}
    </>
  );
}
