/** Setup step: when the machine may share (the Schedule page's mode picker) and starting at login. */
import type { SharingMode } from "../../shared/sharing-types";
import { ModePicker } from "../components/mode-picker";

export function SharingStep(props: {
  mode: SharingMode;
  launchAtLogin: boolean;
  /** False in the headless dashboard: starting at login is the desktop app's. */
  desktop: boolean;
  disabled: boolean;
  onMode(mode: SharingMode): void;
  onLaunchAtLogin(on: boolean): void;
}) {
  return (
    <>
      <ModePicker mode={props.mode} disabled={props.disabled} onChange={props.onMode} />
      <p className="hint">Games, battery and heat pause sharing in every mode. The Schedule page paints the hours and sets the rest.</p>
      {props.desktop ? (
        <label className="check-row">
          <input type="checkbox" checked={props.launchAtLogin} disabled={props.disabled} onChange={(e) => props.onLaunchAtLogin(e.target.checked)} />
          <span>
            <span className="choice-label">Start Offpeak when I log in</span>
            <span className="choice-hint">It starts in the menu bar or tray, without a window.</span>
          </span>
        </label>
      ) : (
        <p className="hint" data-testid="login-hint">
          This node runs headless: start it with your system&apos;s service manager to have it run after a restart.
        </p>
      )}
    </>
  );
}
