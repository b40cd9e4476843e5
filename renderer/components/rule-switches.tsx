/**
 * The rules that pause sharing (battery, heat, games, fullscreen, the GPU) and freeing the GPU's
 * memory while paused, as checkboxes; a rule whose signal this platform lacks says so.
 */
import { useId } from "react";
import type { SignalAvailability } from "../../shared/sharing-types";
import type { RuleSwitch } from "../schedule-draft";

const SWITCHES: readonly { key: RuleSwitch; label: string; hint: string; needs: keyof SignalAvailability | null }[] = [
  { key: "pauseOnBattery", label: "Pause on battery power", hint: "Keeps the battery for you.", needs: "battery" },
  { key: "pauseWhenHot", label: "Pause when the machine is hot", hint: "When the system reports a serious or critical temperature.", needs: "thermal" },
  { key: "pauseForGames", label: "Pause while a game is running", hint: "Games from Steam, their launchers and a list of known games.", needs: "processes" },
  { key: "pauseForFullscreen", label: "Pause while an app is fullscreen", hint: "Films, presentations and games in full screen.", needs: "fullscreen" },
  { key: "pauseWhenGpuBusy", label: "Pause when another app uses the GPU", hint: "Video editing, 3D work and other GPU apps go first.", needs: "gpu" },
  {
    key: "freeGpuWhenPaused",
    label: "Free GPU memory while paused",
    hint: "Unloads the model during a pause; it loads again (taking a moment) when sharing resumes.",
    needs: null,
  },
];

export function RuleSwitches(props: {
  values: Readonly<Record<RuleSwitch, boolean>>;
  available: SignalAvailability | null;
  disabled: boolean;
  onChange(key: RuleSwitch, value: boolean): void;
}) {
  const base = useId();
  return (
    <ul className="rule-switches">
      {SWITCHES.map((entry) => {
        const id = `${base}-${entry.key}`;
        const missing = entry.needs !== null && props.available !== null && !props.available[entry.needs];
        return (
          <li key={entry.key} className="rule-switch">
            <input
              id={id}
              type="checkbox"
              checked={props.values[entry.key]}
              disabled={props.disabled}
              aria-describedby={`${id}-hint`}
              onChange={(event) => props.onChange(entry.key, event.target.checked)}
            />
            <div>
              <label htmlFor={id} className="rule-label">
                {entry.label}
              </label>
              <p id={`${id}-hint`} className="hint">
                {entry.hint}
                {missing && <span className="not-available"> Not available on this platform, so this rule never pauses.</span>}
              </p>
            </div>
          </li>
        );
      })}
    </ul>
  );
}
