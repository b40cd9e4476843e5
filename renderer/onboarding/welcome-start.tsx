/** The first and last steps of the setup: what Offpeak does, and the switch that starts it. */
import type { SharingMode } from "../../shared/sharing-types";
import { MODES } from "../components/mode-picker";

export function WelcomeStep(props: { disabled: boolean; onStart(): void; onSkip(): void }) {
  return (
    <>
      <p className="lead">Offpeak lends this machine&apos;s graphics card to a network of AI apps while you are not using it, and pays you for the work.</p>
      <ul className="plain-list">
        <li>You choose when: always, when you are away, or on a schedule.</li>
        <li>Games come first: sharing pauses the moment one starts.</li>
        <li>Prompts run in a sandbox, away from your files and your network.</li>
      </ul>
      <div className="setup-actions">
        <button type="button" className="button" disabled={props.disabled} onClick={props.onSkip}>
          Skip setup
        </button>
        <button type="button" className="button primary" onClick={props.onStart}>
          Get started
        </button>
      </div>
    </>
  );
}

export function StartStep(props: { mode: SharingMode; model: string | null; disabled: boolean; onFinish(share: boolean): void }) {
  const mode = MODES.find((m) => m.mode === props.mode);
  return (
    <>
      <dl className="facts" data-testid="setup-summary">
        <dt>Model</dt>
        <dd>{props.model ?? "None yet"}</dd>
        <dt>When</dt>
        <dd>
          {mode?.label ?? props.mode}: {mode?.hint}
        </dd>
      </dl>
      <p>You can change all of this later in Schedule, Models and Settings, and pause from the tray at any time.</p>
      <div className="setup-actions">
        <button type="button" className="button" disabled={props.disabled} onClick={() => props.onFinish(false)}>
          Finish without sharing
        </button>
        <button type="button" className="button primary" disabled={props.disabled} onClick={() => props.onFinish(true)}>
          Start sharing
        </button>
      </div>
    </>
  );
}
