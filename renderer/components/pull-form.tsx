/** A field to download a model from an `hf:` URI or a URL, checked before it is sent. */
import { useId, useState, type FormEvent } from "react";

const ADDRESS = /^(hf:\S+|https?:\/\/\S+)$/;

export function PullForm(props: { disabled: boolean; onPull(ref: string): Promise<boolean> }) {
  const [value, setValue] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const inputId = useId();
  const hintId = useId();
  const errorId = useId();

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    const ref = value.trim();
    if (!ADDRESS.test(ref)) {
      setProblem("Enter an hf: URI (hf:owner/repo/file.gguf) or an https:// address of a GGUF file.");
      return;
    }
    setProblem(null);
    setBusy(true);
    const started = await props.onPull(ref);
    setBusy(false);
    if (started) setValue("");
  }

  return (
    <section className="card" aria-labelledby={`${inputId}-heading`}>
      <h2 id={`${inputId}-heading`}>Download from an address</h2>
      <form className="pull-form" onSubmit={(event) => void submit(event)} noValidate>
        <label htmlFor={inputId} className="field-label">
          Model address
        </label>
        <div className="inline-field">
          <input
            id={inputId}
            type="text"
            className="input"
            value={value}
            spellCheck={false}
            autoComplete="off"
            placeholder="hf:owner/repo/model.gguf"
            aria-describedby={problem === null ? hintId : `${errorId} ${hintId}`}
            aria-invalid={problem !== null}
            onChange={(event) => setValue(event.target.value)}
          />
          <button type="submit" className="button primary" disabled={props.disabled || busy}>
            {busy ? "Starting…" : "Download"}
          </button>
        </div>
        {problem !== null && (
          <p id={errorId} className="error-text" role="alert">
            {problem}
          </p>
        )}
        <p id={hintId} className="hint">
          An hf: URI or an https:// address of a GGUF file. Models from outside the catalog are not checked for fit.
        </p>
      </form>
    </section>
  );
}
