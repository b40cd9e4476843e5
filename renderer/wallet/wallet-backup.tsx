/**
 * "Show backup phrase": asks first, then shows the words numbered, until the owner hides them or
 * leaves the page. The phrase lives only in this component's state, never in storage or the URL.
 */
import { useCallback, useState } from "react";
import type { WalletBackup as Backup } from "../../shared/control-api";
import { ConfirmDialog } from "../components/confirm-dialog";
import { useNodeStateStore } from "../use-node-state";

export function WalletBackup(props: { connected: boolean; ready: boolean }) {
  const store = useNodeStateStore();
  const [asking, setAsking] = useState(false);
  const [shown, setShown] = useState<Backup | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const cancel = useCallback(() => setAsking(false), []);

  async function show(): Promise<void> {
    setAsking(false);
    setBusy(true);
    setError(null);
    const result = await store.api.backupWallet(true);
    setBusy(false);
    if (result.ok) setShown(result.value);
    else setError(result.error);
  }

  const words = shown?.phrase.replace(/^key:\s*/, "").split(" ") ?? [];
  return (
    <section className="card wallet-backup" aria-labelledby="wallet-backup-heading">
      <h2 id="wallet-backup-heading">Backup phrase</h2>
      <p className="wallet-hint">
        These words bring this wallet back on a new machine or after a reinstall. Write them on paper and keep them
        offline: anyone who has them can take this node&apos;s earnings.
      </p>
      {error !== null && (
        <p className="form-error" role="alert" data-testid="wallet-backup-error">
          {error}
        </p>
      )}
      {shown === null ? (
        <button type="button" className="button" disabled={!props.connected || !props.ready || busy} onClick={() => setAsking(true)}>
          Show backup phrase
        </button>
      ) : (
        <>
          {shown.kind === "raw-key" && (
            <p className="wallet-hint" data-testid="wallet-raw-key-note">
              This phrase is this node&apos;s key itself, so it starts with <code>key:</code> — write that down too. Restore it
              here or with <code>offpeak wallet restore</code>; another wallet app would need the private key instead.
            </p>
          )}
          <div data-testid="wallet-phrase">
            {shown.kind === "raw-key" && <p className="wallet-word-prefix">key:</p>}
            <ol className="wallet-words" aria-label="Backup phrase, in order">
              {words.map((word, i) => (
                <li key={i}>{word}</li>
              ))}
            </ol>
          </div>
          <button type="button" className="button" onClick={() => setShown(null)}>
            Hide phrase
          </button>
        </>
      )}
      {asking && (
        <ConfirmDialog title="Show the backup phrase?" confirmLabel="Show phrase" tone="danger" onConfirm={() => void show()} onCancel={cancel}>
          <p>
            Anyone who sees these words can take this node&apos;s earnings. Check that nobody is watching your screen and that
            it is not being shared or recorded.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
