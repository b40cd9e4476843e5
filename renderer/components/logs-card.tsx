/** "Show logs" and "Export logs" (redacted: no keys, tokens or prompts), answered by the desktop app. */
import { useState } from "react";
import { useNodeStateStore } from "../use-node-state";

export function LogsCard(props: { connected: boolean }) {
  const store = useNodeStateStore();
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ kind: "ok" | "error"; text: string } | null>(null);

  async function run(action: "show" | "export"): Promise<void> {
    setBusy(true);
    setMessage(null);
    const result = action === "show" ? await store.api.showLogs() : await store.api.exportLogs();
    setBusy(false);
    if (!result.ok) setMessage({ kind: "error", text: result.error });
    else if (result.value !== null) setMessage({ kind: "ok", text: `Saved to ${result.value.path}` });
    else setMessage({ kind: "ok", text: "The log folder is open." });
  }

  return (
    <section className="card" aria-labelledby="logs-heading">
      <h2 id="logs-heading">Logs</h2>
      <p className="hint">The export leaves out prompts, keys, tokens and recovery phrases, and shortens addresses, so you can send it with a support request.</p>
      <div className="log-actions">
        <button type="button" className="button" disabled={busy || !props.connected} onClick={() => void run("show")}>
          Show logs
        </button>
        <button type="button" className="button" disabled={busy || !props.connected} onClick={() => void run("export")}>
          Export logs
        </button>
      </div>
      <div aria-live="polite">
        {message !== null && (
          <p className={message.kind === "error" ? "form-error" : "notice"} role={message.kind === "error" ? "alert" : "status"} data-testid="logs-message">
            {message.text}
          </p>
        )}
      </div>
    </section>
  );
}
