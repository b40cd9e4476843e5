/**
 * Schedule: the sharing mode, the weekly hours the owner paints, idle time, free memory, the
 * rules that pause sharing and the owner's own apps; a sentence that says what the rules mean,
 * updated as the owner paints; Save sends the whole rules object.
 */
import { useCallback, useId, useState, type FormEvent } from "react";
import type { Settings } from "../../shared/settings";
import { gridToWindows, scheduleSummary } from "../../shared/sharing-policy";
import type { SharingRules } from "../../shared/sharing-types";
import { ModePicker } from "../components/mode-picker";
import { NumberField } from "../components/number-field";
import { OwnAppsField } from "../components/own-apps-field";
import { RuleSwitches } from "../components/rule-switches";
import { ScheduleGrid } from "../components/schedule-grid";
import { StatusMessage } from "../components/status-message";
import { draftDiffers, draftFromRules, parseIdleMinutes, rulesFromDraft, type DraftErrors, type ScheduleDraft } from "../schedule-draft";
import { emptyGrid, paintCells, type GridPoint } from "../schedule-grid-model";
import { useLoader } from "../use-loader";
import { useNodeState, useNodeStateStore } from "../use-node-state";

const USES_HOURS = new Set(["schedule", "idle-in-schedule"]);
const USES_IDLE = new Set(["idle", "idle-in-schedule"]);

/** The sentence for the draft as it stands (with the saved idle minutes while that field does not parse). */
function summaryOf(draft: ScheduleDraft, saved: SharingRules): string {
  return scheduleSummary({ mode: draft.mode, windows: gridToWindows(draft.grid), idleMinutes: parseIdleMinutes(draft.idleMinutes) ?? saved.idleMinutes });
}

function ScheduleForm(props: { settings: Settings; connected: boolean; onSaved(settings: Settings): void }) {
  const store = useNodeStateStore();
  const { state } = useNodeState();
  const [saved, setSaved] = useState<SharingRules>(props.settings.rules);
  const [draft, setDraft] = useState<ScheduleDraft>(() => draftFromRules(props.settings.rules));
  const [errors, setErrors] = useState<DraftErrors>({});
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const helpId = useId();
  const summaryId = useId();

  const dirty = draftDiffers(draft, saved);
  const disabled = !props.connected || saving;
  const change = (patch: Partial<ScheduleDraft>) => {
    setNotice(null);
    setDraft((d) => ({ ...d, ...patch }));
  };
  const paint = useCallback((points: readonly GridPoint[], value: boolean) => {
    setNotice(null);
    setDraft((d) => {
      const grid = paintCells(d.grid, points, value);
      return grid === d.grid ? d : { ...d, grid };
    });
  }, []);

  async function save(event: FormEvent): Promise<void> {
    event.preventDefault();
    const parsed = rulesFromDraft(draft, saved);
    if (!parsed.ok) {
      setErrors(parsed.errors);
      setNotice(null);
      setError("Some values are not valid; nothing was saved.");
      return;
    }
    setErrors({});
    setSaving(true);
    setError(null);
    setNotice(null);
    // A pause set meanwhile (from the tray or the Dashboard) is kept: the rules are sent whole.
    const fresh = await store.api.getSettings();
    const rules = { ...parsed.rules, pausedUntil: fresh.ok ? fresh.value.rules.pausedUntil : saved.pausedUntil };
    const result = await store.api.updateSettings({ rules });
    setSaving(false);
    if (!result.ok) {
      setError(result.error);
      return;
    }
    props.onSaved(result.value);
    setSaved(result.value.rules);
    setDraft(draftFromRules(result.value.rules));
    setNotice("Schedule saved.");
  }

  const summary = summaryOf(draft, saved);
  const available = state?.signals.available ?? null;
  const paintedAny = draft.grid.some((row) => row.includes(true));
  return (
    <form className="schedule-form" onSubmit={(event) => void save(event)} noValidate aria-describedby={summaryId}>
      <section className="card" aria-labelledby="mode-heading">
        <h2 id="mode-heading">Mode</h2>
        <ModePicker mode={draft.mode} disabled={disabled} onChange={(mode) => change({ mode })} />
        {USES_IDLE.has(draft.mode) && available !== null && !available.idle && (
          <p className="inline-warning" role="note">
            This platform cannot tell when you are away, so an idle mode never starts sharing here.
          </p>
        )}
      </section>

      <section className="card" aria-labelledby="hours-heading">
        <div className="card-head">
          <h2 id="hours-heading">Weekly hours</h2>
          <button type="button" className="button small" disabled={disabled || !paintedAny} onClick={() => change({ grid: emptyGrid() })}>
            Clear all
          </button>
        </div>
        <p id={summaryId} className="schedule-summary" aria-live="polite" data-testid="schedule-summary">
          {summary}
        </p>
        {!USES_HOURS.has(draft.mode) && (
          <p className="hint" data-testid="hours-unused">
            The painted hours count only in the modes &ldquo;On a schedule&rdquo; and &ldquo;Idle within the schedule&rdquo;.
          </p>
        )}
        <ScheduleGrid grid={draft.grid} onPaint={paint} disabled={disabled} describedBy={helpId} />
        <div className="grid-legend">
          <span className="legend-item">
            <span className="legend-swatch on" aria-hidden="true" /> Shares
          </span>
          <span className="legend-item">
            <span className="legend-swatch" aria-hidden="true" /> Does not share
          </span>
          <p id={helpId} className="hint">
            Press on a cell and drag to paint hours on (or, starting on a painted cell, off). With the keyboard: arrows move,
            Space toggles a cell, Shift+arrow paints along. Times are this computer&apos;s local time.
          </p>
        </div>
      </section>

      <section className="card" aria-labelledby="limits-heading">
        <h2 id="limits-heading">Idle time and memory</h2>
        <div className="two-fields">
          <NumberField
            label="Idle after"
            unit="minutes without input"
            hint="How long the keyboard and mouse must rest before you count as away."
            min={1}
            max={24 * 60}
            value={draft.idleMinutes}
            error={errors.idleMinutes ?? null}
            disabled={disabled}
            onChange={(idleMinutes) => change({ idleMinutes })}
          />
          <NumberField
            label="Keep this much memory free"
            unit="GB"
            hint="Sharing pauses when less is free. 0 means no limit."
            min={0}
            max={1024}
            step={0.5}
            inputMode="decimal"
            value={draft.minFreeMemoryGb}
            error={errors.minFreeMemoryGb ?? null}
            disabled={disabled}
            onChange={(minFreeMemoryGb) => change({ minFreeMemoryGb })}
          />
        </div>
      </section>

      <section className="card" aria-labelledby="pauses-heading">
        <h2 id="pauses-heading">Pause sharing</h2>
        <RuleSwitches
          values={draft.switches}
          available={available}
          disabled={disabled}
          onChange={(key, value) => change({ switches: { ...draft.switches, [key]: value } })}
        />
        <OwnAppsField apps={draft.ownApps} disabled={disabled} onChange={(ownApps) => change({ ownApps })} />
      </section>

      <div className="save-bar" data-dirty={dirty}>
        <div aria-live="polite" className="save-status">
          {error !== null ? (
            <p className="form-error" role="alert" data-testid="schedule-error">
              {error}
            </p>
          ) : notice !== null ? (
            <p className="notice" role="status" data-testid="schedule-notice">
              {notice}
            </p>
          ) : dirty ? (
            <p className="unsaved" data-testid="unsaved">
              <span className="dot small dot-paused" aria-hidden="true" /> Unsaved changes
            </p>
          ) : (
            <p className="muted">All changes saved.</p>
          )}
        </div>
        <div className="save-actions">
          <button
            type="button"
            className="button"
            disabled={disabled || !dirty}
            onClick={() => {
              setErrors({});
              setError(null);
              setDraft(draftFromRules(saved));
            }}
          >
            Discard changes
          </button>
          <button type="submit" className="button primary" disabled={disabled || !dirty}>
            {saving ? "Saving…" : "Save schedule"}
          </button>
        </div>
      </div>
    </form>
  );
}

export function SchedulePage(props: { connected: boolean }) {
  const store = useNodeStateStore();
  const read = useCallback(() => store.api.getSettings(), [store]);
  const { loaded, reload, replace } = useLoader(read);
  return (
    <div className="schedule-page">
      <div className="page-head">
        <h2 id="page-title" className="page-title" tabIndex={-1}>
          Schedule
        </h2>
        <p className="muted">When this machine may take jobs. The Share switch still comes first.</p>
      </div>
      {loaded.status === "loading" && <StatusMessage kind="loading" title="Loading your schedule…" />}
      {loaded.status === "error" && (
        <StatusMessage kind="error" title="Could not read the schedule">
          {loaded.error}{" "}
          <button type="button" className="button small" onClick={reload}>
            Try again
          </button>
        </StatusMessage>
      )}
      {loaded.status === "ready" && <ScheduleForm settings={loaded.value} connected={props.connected} onSaved={replace} />}
    </div>
  );
}
