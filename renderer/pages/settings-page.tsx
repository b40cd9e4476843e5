/**
 * Settings: running without the OS sandbox (asks first, explains the risk), when to unload the
 * model, parallel jobs and context size. Each change is saved through updateSettings; a refusal
 * shows next to the form.
 */
import { useCallback, useId, useState, type FormEvent } from "react";
import type { Settings } from "../../shared/settings";
import { ConfirmDialog } from "../components/confirm-dialog";
import { DesktopSettingsCard } from "../components/desktop-settings-card";
import { LogsCard } from "../components/logs-card";
import { NumberField } from "../components/number-field";
import { StatusMessage } from "../components/status-message";
import { useLoader } from "../use-loader";
import { useNodeStateStore } from "../use-node-state";

type NumberKey = "idleUnloadMinutes" | "parallelSequences" | "contextSize";

const FIELDS: readonly { key: NumberKey; label: string; unit: string; hint: string; min: number; max: number }[] = [
  {
    key: "idleUnloadMinutes",
    label: "Unload the model after this many minutes idle",
    unit: "minutes",
    hint: "Frees the memory the model holds when no job came for a while. 0 keeps it loaded.",
    min: 0,
    max: 24 * 60,
  },
  {
    key: "parallelSequences",
    label: "Parallel jobs",
    unit: "jobs",
    hint: "Jobs the model runs at once. More earns more on a big GPU and needs more memory.",
    min: 1,
    max: 16,
  },
  {
    key: "contextSize",
    label: "Context size",
    unit: "tokens",
    hint: "The longest prompt and answer, together, each job may have. Larger needs more memory.",
    min: 128,
    max: 1_048_576,
  },
];

type Drafts = Record<NumberKey, string>;

const draftsOf = (s: Settings): Drafts => ({
  idleUnloadMinutes: String(s.idleUnloadMinutes),
  parallelSequences: String(s.parallelSequences),
  contextSize: String(s.contextSize),
});

function SettingsForm(props: { settings: Settings; connected: boolean; onSaved(settings: Settings): void }) {
  const store = useNodeStateStore();
  const { settings } = props;
  const [drafts, setDrafts] = useState<Drafts>(() => draftsOf(settings));
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<NumberKey, string>>>({});
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const switchLabel = useId();
  const riskId = useId();

  async function save(patch: Partial<Settings>, success: string): Promise<void> {
    setSaving(true);
    setError(null);
    setNotice(null);
    const result = await store.api.updateSettings(patch);
    setSaving(false);
    if (!result.ok) {
      setError(result.error);
      return;
    }
    props.onSaved(result.value);
    setDrafts(draftsOf(result.value));
    setNotice(success);
  }

  function toggleSandbox(): void {
    if (settings.allowUnsandboxed) void save({ allowUnsandboxed: false }, "The worker runs only inside the sandbox again.");
    else setConfirming(true);
  }

  const confirmUnsandboxed = () => {
    setConfirming(false);
    void save({ allowUnsandboxed: true }, "Saved: the worker may run without the sandbox.");
  };
  const cancelUnsandboxed = useCallback(() => setConfirming(false), []);

  function submit(event: FormEvent): void {
    event.preventDefault();
    const errors: Partial<Record<NumberKey, string>> = {};
    const patch: Partial<Settings> = {};
    for (const field of FIELDS) {
      const text = drafts[field.key].trim();
      const value = Number(text);
      if (text === "" || !Number.isInteger(value) || value < field.min || value > field.max) {
        errors[field.key] = `Enter a whole number from ${field.min.toLocaleString("en-US")} to ${field.max.toLocaleString("en-US")}.`;
      } else if (value !== settings[field.key]) {
        patch[field.key] = value;
      }
    }
    setFieldErrors(errors);
    if (Object.keys(errors).length > 0) {
      setNotice(null);
      setError("Some values are not valid; nothing was saved.");
      return;
    }
    if (Object.keys(patch).length === 0) {
      setError(null);
      setNotice("Nothing changed.");
      return;
    }
    void save(patch, "Settings saved.");
  }

  const disabled = !props.connected || saving;
  return (
    <>
      <div aria-live="polite">
        {error !== null && (
          <p className="form-error" role="alert" data-testid="settings-error">
            {error}
          </p>
        )}
        {notice !== null && (
          <p className="notice" role="status" data-testid="settings-notice">
            {notice}
          </p>
        )}
      </div>
      <section className="card" aria-labelledby="safety-heading">
        <h2 id="safety-heading">Safety</h2>
        <div className="setting-row">
          <span id={switchLabel} className="share-label">
            Run without sandbox
          </span>
          <button
            type="button"
            role="switch"
            className="switch risky"
            aria-checked={settings.allowUnsandboxed}
            aria-labelledby={switchLabel}
            aria-describedby={riskId}
            disabled={disabled}
            onClick={toggleSandbox}
          >
            <span className="switch-thumb" aria-hidden="true" />
          </button>
        </div>
        <p id={riskId} className={settings.allowUnsandboxed ? "risk risk-on" : "risk"}>
          The sandbox keeps the inference worker away from your files and the network, so a malicious model file or
          prompt cannot reach them. Without it, the worker runs with your account&apos;s rights. Turn this on only if this
          machine cannot run the sandbox and you trust the models you serve.
        </p>
      </section>
      <form className="card settings-form" aria-labelledby="performance-heading" onSubmit={submit} noValidate>
        <h2 id="performance-heading">Model and jobs</h2>
        {FIELDS.map((field) => (
          <NumberField
            key={field.key}
            label={field.label}
            unit={field.unit}
            hint={field.hint}
            min={field.min}
            max={field.max}
            value={drafts[field.key]}
            error={fieldErrors[field.key] ?? null}
            disabled={disabled}
            onChange={(value) => setDrafts((d) => ({ ...d, [field.key]: value }))}
          />
        ))}
        <div className="form-actions">
          <button type="submit" className="button primary" disabled={disabled}>
            {saving ? "Saving…" : "Save changes"}
          </button>
        </div>
      </form>
      <DesktopSettingsCard settings={settings} disabled={disabled} save={(patch, success) => void save(patch, success)} />
      <LogsCard connected={props.connected} />
      {confirming && (
        <ConfirmDialog title="Run without the sandbox?" confirmLabel="Run without sandbox" tone="danger" onConfirm={confirmUnsandboxed} onCancel={cancelUnsandboxed}>
          <p>
            Where the sandbox cannot start, the inference worker will run with your account&apos;s rights: a malicious model
            file or prompt could read your files or use the network. A warning shows on every page while this is on.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}

export function SettingsPage(props: { connected: boolean }) {
  const store = useNodeStateStore();
  const read = useCallback(() => store.api.getSettings(), [store]);
  const { loaded, reload, replace } = useLoader(read);
  return (
    <div className="settings-page">
      <div className="page-head">
        <h2 id="page-title" className="page-title" tabIndex={-1}>
          Settings
        </h2>
      </div>
      {loaded.status === "loading" && <StatusMessage kind="loading" title="Loading settings…" />}
      {loaded.status === "error" && (
        <StatusMessage kind="error" title="Could not read the settings">
          {loaded.error}{" "}
          <button type="button" className="button small" onClick={reload}>
            Try again
          </button>
        </StatusMessage>
      )}
      {loaded.status === "ready" && <SettingsForm settings={loaded.value} connected={props.connected} onSaved={replace} />}
    </div>
  );
}
