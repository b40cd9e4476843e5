/** The sharing mode as a labelled radio group, each choice with a line that explains it. */
import { useId } from "react";
import type { SharingMode } from "../../shared/sharing-types";

export const MODES: readonly { readonly mode: SharingMode; readonly label: string; readonly hint: string }[] = [
  { mode: "always", label: "Always", hint: "Shares whenever the Share switch is on." },
  { mode: "idle", label: "When idle", hint: "Shares once you have left the keyboard and mouse alone for a while." },
  { mode: "schedule", label: "On a schedule", hint: "Shares during the hours you paint below." },
  { mode: "idle-in-schedule", label: "Idle within the schedule", hint: "Shares during the painted hours, once you are away." },
  { mode: "off", label: "Off", hint: "Never shares, whatever the Share switch says." },
];

export function ModePicker(props: { mode: SharingMode; disabled: boolean; onChange(mode: SharingMode): void }) {
  const name = useId();
  return (
    <fieldset className="mode-picker" disabled={props.disabled}>
      <legend className="field-label">When may this machine share?</legend>
      <div className="mode-options">
        {MODES.map((entry) => {
          const id = `${name}-${entry.mode}`;
          return (
            <label key={entry.mode} htmlFor={id} className={props.mode === entry.mode ? "mode-option checked" : "mode-option"}>
              <input
                id={id}
                type="radio"
                name={name}
                value={entry.mode}
                checked={props.mode === entry.mode}
                aria-describedby={`${id}-hint`}
                onChange={() => props.onChange(entry.mode)}
              />
              <span className="mode-text">
                <span className="mode-label">{entry.label}</span>
                <span id={`${id}-hint`} className="mode-hint">
                  {entry.hint}
                </span>
              </span>
            </label>
          );
        })}
      </div>
    </fieldset>
  );
}
