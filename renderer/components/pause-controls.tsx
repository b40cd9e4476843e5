/** "Pause for 1 hour", "Pause until tomorrow" (08:00) and, while paused, "Resume". */
import { useState } from "react";
import type { NodeState, Result } from "../../shared/control-api";
import { isPausedByOwner, oneHourFrom, tomorrowMorning } from "../../shared/pause-times";
import { useNodeStateStore } from "../use-node-state";

export function PauseControls(props: { state: NodeState; disabled: boolean; now?: () => number }) {
  const store = useNodeStateStore();
  const now = props.now ?? Date.now;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const paused = isPausedByOwner(props.state);

  async function run(call: () => Promise<Result<NodeState>>): Promise<void> {
    setBusy(true);
    setError(null);
    const result = await call();
    setBusy(false);
    if (!result.ok) setError(result.error);
  }

  const disabled = props.disabled || busy;
  return (
    <div className="pause-controls">
      <div className="pause-buttons" role="group" aria-label="Pause sharing">
        {paused && (
          <button type="button" className="button primary" disabled={disabled} onClick={() => void run(() => store.resume())}>
            Resume
          </button>
        )}
        <button type="button" className="button" disabled={disabled} onClick={() => void run(() => store.pause(oneHourFrom(now())))}>
          Pause for 1 hour
        </button>
        <button type="button" className="button" disabled={disabled} onClick={() => void run(() => store.pause(tomorrowMorning(now())))}>
          Pause until tomorrow
        </button>
      </div>
      <p className="share-error" role="alert" data-testid="pause-error">
        {error}
      </p>
    </div>
  );
}
