/** A labelled whole-number field with a unit, a hint and its own error. */
import { useId } from "react";

export function NumberField(props: {
  label: string;
  unit: string;
  hint: string;
  value: string;
  min: number;
  max: number;
  error: string | null;
  disabled: boolean;
  /** 1 unless told (0.5 for GB). */
  step?: number;
  inputMode?: "numeric" | "decimal";
  onChange(value: string): void;
}) {
  const id = useId();
  const hintId = useId();
  const errorId = useId();
  return (
    <div className="field">
      <label htmlFor={id} className="field-label">
        {props.label}
      </label>
      <div className="inline-field">
        <input
          id={id}
          className="input number"
          type="number"
          inputMode={props.inputMode ?? "numeric"}
          min={props.min}
          max={props.max}
          step={props.step ?? 1}
          value={props.value}
          disabled={props.disabled}
          aria-invalid={props.error !== null}
          aria-describedby={props.error === null ? hintId : `${errorId} ${hintId}`}
          onChange={(event) => props.onChange(event.target.value)}
        />
        <span className="unit" aria-hidden="true">
          {props.unit}
        </span>
      </div>
      {props.error !== null && (
        <p id={errorId} className="error-text">
          {props.error}
        </p>
      )}
      <p id={hintId} className="hint">
        {props.hint}
      </p>
    </div>
  );
}
