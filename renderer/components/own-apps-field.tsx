/** The owner's own apps that pause sharing while they run: a list with Remove, and a field to add one. */
import { useId, useState, type FormEvent } from "react";
import { addOwnApp } from "../schedule-draft";

export function OwnAppsField(props: { apps: readonly string[]; disabled: boolean; onChange(apps: readonly string[]): void }) {
  const inputId = useId();
  const hintId = useId();
  const [name, setName] = useState("");

  function add(event: FormEvent): void {
    event.preventDefault();
    const next = addOwnApp(props.apps, name);
    if (next !== props.apps) props.onChange(next);
    setName("");
  }

  return (
    <div className="field own-apps">
      <label htmlFor={inputId} className="field-label">
        Your apps that pause sharing
      </label>
      <p id={hintId} className="hint">
        Program names as the system shows them (&ldquo;blender&rdquo;, &ldquo;Premiere Pro&rdquo;). Sharing pauses while one runs.
      </p>
      {props.apps.length === 0 ? (
        <p className="empty" data-testid="own-apps-empty">
          No apps yet.
        </p>
      ) : (
        <ul className="app-chips" aria-label="Your apps">
          {props.apps.map((app) => (
            <li key={app} className="app-chip" data-testid="own-app">
              <span>{app}</span>
              <button
                type="button"
                className="chip-remove"
                aria-label={`Remove ${app}`}
                disabled={props.disabled}
                onClick={() => props.onChange(props.apps.filter((a) => a !== app))}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      {/* A div, not a nested form: Enter in the field adds the app. */}
      <div className="inline-field">
        <input
          id={inputId}
          className="input app-input"
          value={name}
          maxLength={200}
          disabled={props.disabled}
          aria-describedby={hintId}
          onChange={(event) => setName(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === "Enter") add(event);
          }}
        />
        <button type="button" className="button" disabled={props.disabled || name.trim() === ""} onClick={add}>
          Add app
        </button>
      </div>
    </div>
  );
}
