/** Why the wallet is not open, said plainly, with another try once the owner has unlocked the keychain. */
import { useState } from "react";
import type { WalletStatusView } from "../../shared/control-api";
import { useNodeStateStore } from "../use-node-state";

const TITLES: Readonly<Record<WalletStatusView["state"], string>> = {
  ready: "Wallet open",
  locked: "Keychain locked",
  unavailable: "Keychain unavailable",
  damaged: "Wallet key damaged",
};

export function WalletProblem(props: { wallet: WalletStatusView; connected: boolean }) {
  const store = useNodeStateStore();
  const [busy, setBusy] = useState(false);
  const [answer, setAnswer] = useState<string | null>(null);

  async function retry(): Promise<void> {
    setBusy(true);
    setAnswer(null);
    const result = await store.api.unlockWallet();
    setBusy(false);
    if (!result.ok) setAnswer(result.error);
    else if (result.value.state !== "ready") setAnswer(`Still not open: ${result.value.reason ?? "no reason given"}`);
  }

  return (
    <section className="card wallet-problem" role="alert" aria-labelledby="wallet-problem-heading" data-testid="wallet-problem">
      <h2 id="wallet-problem-heading">{TITLES[props.wallet.state]}</h2>
      <p>{props.wallet.reason}</p>
      <p className="wallet-hint">This node earns nothing until its wallet opens. Where the key lives: {props.wallet.store}.</p>
      {answer !== null && <p className="form-error">{answer}</p>}
      <button type="button" className="button" disabled={!props.connected || busy} onClick={() => void retry()}>
        Try again
      </button>
    </section>
  );
}
