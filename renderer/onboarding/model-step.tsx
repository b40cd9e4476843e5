/** Setup step: the models that suit this machine, as one radio group (installed ones first). */
import { useId } from "react";
import type { DownloadProgress } from "../../shared/control-api";
import { formatBytes } from "../format";
import type { ModelChoice } from "./onboarding-model";

export function ModelStep(props: {
  choices: readonly ModelChoice[];
  hidden: number;
  selected: string | null;
  downloads: readonly DownloadProgress[];
  disabled: boolean;
  onSelect(id: string): void;
}) {
  const name = useId();
  if (props.choices.length === 0) {
    return (
      <p className="empty" data-testid="no-models">
        No model suits this machine yet. You can add one later on the Models page.
      </p>
    );
  }
  const active = props.downloads.filter((d) => d.state === "downloading" || d.state === "verifying");
  return (
    <>
      <fieldset className="choice-list" disabled={props.disabled}>
        <legend className="field-label">Which model should this machine serve?</legend>
        {props.choices.map((choice) => {
          const id = `${name}-${choice.id}`;
          return (
            <label key={choice.id} htmlFor={id} className={props.selected === choice.id ? "choice checked" : "choice"}>
              <input
                id={id}
                type="radio"
                name={name}
                value={choice.id}
                checked={props.selected === choice.id}
                aria-describedby={`${id}-note`}
                onChange={() => props.onSelect(choice.id)}
              />
              <span className="choice-text">
                <span className="choice-label">
                  {choice.name}
                  {choice.kind === "catalog" && choice.recommended && <span className="pill verdict verdict-fits">Recommended</span>}
                </span>
                <span id={`${id}-note`} className="choice-hint">
                  {choice.kind === "catalog" ? `Download · ${choice.note}` : choice.note}
                </span>
              </span>
            </label>
          );
        })}
      </fieldset>
      {props.hidden > 0 && (
        <p className="hint">
          {props.hidden} more {props.hidden === 1 ? "model needs" : "models need"} more memory than this machine has.
        </p>
      )}
      {active.map((d) => (
        <p key={d.id} className="notice" role="status" data-testid="setup-download">
          Downloading {d.name}: {formatBytes(d.receivedBytes)}
          {d.totalBytes !== null ? ` of ${formatBytes(d.totalBytes)}` : ""}. It goes on in the background; switch to it on the Models page once it is done.
        </p>
      ))}
    </>
  );
}
