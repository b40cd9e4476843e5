/**
 * The Schedule page's editable copy of the owner's sharing rules: the painted grid, the fields as
 * typed, and turning it back into rules (or field errors) for Save.
 */
import { gridToWindows, windowsToGrid } from "../shared/sharing-policy";
import type { SharingMode, SharingRules } from "../shared/sharing-types";

const GIB = 2 ** 30;
export const MAX_FREE_MEMORY_GB = 1024;

export type RuleSwitch = "pauseOnBattery" | "pauseWhenHot" | "pauseForGames" | "pauseForFullscreen" | "pauseWhenGpuBusy" | "freeGpuWhenPaused";

export interface ScheduleDraft {
  readonly mode: SharingMode;
  readonly grid: boolean[][];
  readonly idleMinutes: string;
  readonly minFreeMemoryGb: string;
  readonly switches: Readonly<Record<RuleSwitch, boolean>>;
  readonly ownApps: readonly string[];
}

export type DraftErrors = Partial<Record<"idleMinutes" | "minFreeMemoryGb", string>>;

/** "1.5" for 1.5 GiB; "0" for no rule. */
export function gbText(bytes: number): string {
  return String(Math.round((bytes / GIB) * 10) / 10);
}

/** The draft that shows these rules. */
export function draftFromRules(rules: SharingRules): ScheduleDraft {
  return {
    mode: rules.mode,
    grid: windowsToGrid(rules.windows),
    idleMinutes: String(rules.idleMinutes),
    minFreeMemoryGb: gbText(rules.minFreeMemoryBytes),
    switches: {
      pauseOnBattery: rules.pauseOnBattery,
      pauseWhenHot: rules.pauseWhenHot,
      pauseForGames: rules.pauseForGames,
      pauseForFullscreen: rules.pauseForFullscreen,
      pauseWhenGpuBusy: rules.pauseWhenGpuBusy,
      freeGpuWhenPaused: rules.freeGpuWhenPaused,
    },
    ownApps: rules.ownApps,
  };
}

/** The idle minutes as typed, when they are a valid whole number of minutes. */
export function parseIdleMinutes(text: string): number | null {
  const value = Number(text.trim());
  return text.trim() !== "" && Number.isInteger(value) && value >= 1 && value <= 24 * 60 ? value : null;
}

/** The rules the draft says (keeping `base.pausedUntil`), or what is wrong with its fields. */
export function rulesFromDraft(draft: ScheduleDraft, base: SharingRules): { ok: true; rules: SharingRules } | { ok: false; errors: DraftErrors } {
  const errors: DraftErrors = {};
  const idleMinutes = parseIdleMinutes(draft.idleMinutes);
  if (idleMinutes === null) errors.idleMinutes = "Enter a whole number of minutes from 1 to 1,440.";
  const gbTextTrimmed = draft.minFreeMemoryGb.trim();
  const gb = gbTextTrimmed === "" ? 0 : Number(gbTextTrimmed);
  if (!Number.isFinite(gb) || gb < 0 || gb > MAX_FREE_MEMORY_GB) errors.minFreeMemoryGb = `Enter a number of GB from 0 to ${MAX_FREE_MEMORY_GB}.`;
  if (idleMinutes === null || errors.minFreeMemoryGb !== undefined) return { ok: false, errors };
  return {
    ok: true,
    rules: {
      ...base,
      mode: draft.mode,
      windows: gridToWindows(draft.grid),
      idleMinutes,
      minFreeMemoryBytes: Math.round(gb * GIB),
      ...draft.switches,
      ownApps: [...draft.ownApps],
    },
  };
}

/** True when the draft says something other than the saved rules (a field that does not parse counts). */
export function draftDiffers(draft: ScheduleDraft, saved: SharingRules): boolean {
  const parsed = rulesFromDraft(draft, saved);
  if (!parsed.ok) return true;
  const comparable = (rules: SharingRules) => JSON.stringify({ ...rules, windows: gridToWindows(windowsToGrid(rules.windows)), pausedUntil: null });
  return comparable(parsed.rules) !== comparable(saved);
}

/** Adds an app name (trimmed, once, case-insensitively); the list as it was when there is nothing to add. */
export function addOwnApp(apps: readonly string[], name: string): readonly string[] {
  const trimmed = name.trim().slice(0, 200);
  if (trimmed === "" || apps.some((app) => app.toLowerCase() === trimmed.toLowerCase())) return apps;
  return [...apps, trimmed];
}
