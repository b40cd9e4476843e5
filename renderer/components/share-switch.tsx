/** The owner's Share switch: a real `role="switch"`, usable with the keyboard, labelled. */
import { useId, useState } from "react";
import { useNodeStateStore } from "../use-node-state";

export function ShareSwitch(props: { sharing: boolean; disabled: boolean }) {
  const store = useNodeStateStore();
  const labelId = useId();
  const hintId = useId();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function toggle(): Promise<void> {
    setBusy(true);
    setError(null);
    const result = await store.setSharing(!props.sharing);
    setBusy(false);
    if (!result.ok) setError(result.error);
  }

  return (
    <div className="share">
      <div className="share-row">
        <span id={labelId} className="share-label">
          Share this machine
        </span>
        <button
          type="button"
          role="switch"
          className="switch"
          aria-checked={props.sharing}
          aria-labelledby={labelId}
          aria-describedby={hintId}
          aria-busy={busy}
          disabled={props.disabled || busy}
          onClick={() => void toggle()}
        >
          <span className="switch-thumb" aria-hidden="true" />
        </button>
      </div>
      <p id={hintId} className="share-hint">
        {props.sharing ? "Jobs from the network may run here." : "No jobs will run on this machine."}
      </p>
      <p className="share-error" role="alert">
        {error}
      </p>
    </div>
  );
}
