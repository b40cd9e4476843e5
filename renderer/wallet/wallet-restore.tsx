/**
 * Restore from a backup phrase: the agent first says which address the phrase gives (or why it
 * is not a valid phrase), then the owner confirms replacing this node's key.
 */
import { useCallback, useState, type FormEvent } from "react";
import type { WalletRestore as Preview } from "../../shared/control-api";
import { ConfirmDialog } from "../components/confirm-dialog";
import { useNodeStateStore } from "../use-node-state";

export function WalletRestore(props: { connected: boolean }) {
  const store = useNodeStateStore();
  const [phrase, setPhrase] = useState("");
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const cancel = useCallback(() => setPreview(null), []);

  async function check(event: FormEvent): Promise<void> {
    event.preventDefault();
    setError(null);
    setNotice(null);
    if (phrase.trim() === "") {
      setError("Enter the backup phrase, its words separated by spaces.");
      return;
    }
    setBusy(true);
    const result = await store.api.restoreWallet({ phrase, confirm: false });
    setBusy(false);
    if (result.ok) setPreview(result.value);
    else setError(result.error);
  }

  async function replace(): Promise<void> {
    setPreview(null);
    setBusy(true);
    const result = await store.api.restoreWallet({ phrase, confirm: true });
    setBusy(false);
    if (!result.ok) {
      setError(result.error);
      return;
    }
    setPhrase("");
    setNotice(`Restored: this node's wallet is now ${result.value.address}.`);
  }

  return (
    <form className="card wallet-restore" aria-labelledby="wallet-restore-heading" onSubmit={(event) => void check(event)} noValidate>
      <h2 id="wallet-restore-heading">Restore from a backup phrase</h2>
      <label className="wallet-field">
        <span>Backup phrase</span>
        <textarea
          value={phrase}
          onChange={(event) => setPhrase(event.target.value)}
          rows={3}
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          disabled={!props.connected || busy}
          aria-invalid={error !== null}
        />
      </label>
      <div aria-live="polite">
        {error !== null && (
          <p className="form-error" role="alert" data-testid="wallet-restore-error">
            {error}
          </p>
        )}
        {notice !== null && (
          <p className="notice" role="status" data-testid="wallet-restore-notice">
            {notice}
          </p>
        )}
      </div>
      <div className="form-actions">
        <button type="submit" className="button" disabled={!props.connected || busy}>
          Restore…
        </button>
      </div>
      {preview !== null && (
        <ConfirmDialog title="Replace this node's wallet?" confirmLabel="Replace wallet" tone="danger" onConfirm={() => void replace()} onCancel={cancel}>
          <p>
            The phrase gives <code data-testid="wallet-restore-address">{preview.address}</code>.
          </p>
          {preview.previousAddress !== null && preview.previousAddress !== preview.address && (
            <p>
              It replaces <code>{preview.previousAddress}</code>: earnings already made stay with that address, and only its
              own backup phrase brings it back.
            </p>
          )}
        </ConfirmDialog>
      )}
    </form>
  );
}
