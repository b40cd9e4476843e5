/**
 * The signals the sharing rules look at, as rows a person reads: each with its value, or a plain
 * statement that this platform does not offer it (never a made-up value).
 */
import type { SignalAvailability, Signals } from "../shared/sharing-types";
import { formatBytes, formatDuration } from "./format";

export interface SignalRow {
  readonly key: string;
  readonly label: string;
  /** What was sampled, or why there is no value. */
  readonly value: string;
  /** False when the platform does not offer this signal, or it was not read yet. */
  readonly known: boolean;
}

export const NOT_AVAILABLE = "not available on this platform";
export const NOT_READ_YET = "not read yet";

const THERMAL: Record<NonNullable<Signals["thermal"]>, string> = {
  nominal: "Normal",
  fair: "Warm",
  serious: "Hot",
  critical: "Critical",
};

const GAME_SOURCES: Record<NonNullable<Signals["game"]>["source"], string> = {
  steam: "found through Steam",
  launcher: "found through its launcher",
  list: "on the list of known games",
};

/** A value read, or (known: false) why the platform could not read it this time; null: not read yet. */
type Reading = { readonly value: string; readonly known?: false } | null;

const PROCESSES_UNREAD: Reading = { value: "could not read the running apps", known: false };

/** One row: unavailable, not read yet, or the value `read` gives for the sample. */
function row(key: string, label: string, available: boolean, latest: Signals | null, read: (s: Signals) => Reading): SignalRow {
  if (!available) return { key, label, value: NOT_AVAILABLE, known: false };
  const reading = latest === null ? null : read(latest);
  return reading === null ? { key, label, value: NOT_READ_YET, known: false } : { key, label, value: reading.value, known: reading.known ?? true };
}

/** The rows of the Signals card, in a fixed order. */
export function signalRows(latest: Signals | null, available: SignalAvailability): SignalRow[] {
  return [
    row("idle", "Keyboard and mouse", available.idle, latest, (s) =>
      s.idleSeconds === null ? null : { value: s.idleSeconds < 60 ? "In use now" : `Idle for ${formatDuration(s.idleSeconds)}` },
    ),
    row("battery", "Power", available.battery, latest, (s) => (s.onBattery === null ? null : { value: s.onBattery ? "On battery" : "Plugged in" })),
    row("thermal", "Temperature", available.thermal, latest, (s) => (s.thermal === null ? null : { value: THERMAL[s.thermal] })),
    row("game", "Games", available.processes, latest, (s) => {
      if (!s.processesKnown) return PROCESSES_UNREAD;
      return { value: s.game === null ? "No game running" : `${s.game.name} is running (${GAME_SOURCES[s.game.source]})` };
    }),
    row("own-app", "Your apps", available.processes, latest, (s) => {
      if (!s.processesKnown) return PROCESSES_UNREAD;
      return { value: s.ownAppRunning === null ? "None of them is running" : `${s.ownAppRunning} is running` };
    }),
    row("fullscreen", "Fullscreen apps", available.fullscreen, latest, (s) => {
      if (!s.fullscreenKnown) return null;
      return { value: s.fullscreenApp === null ? "None" : `${s.fullscreenApp} is fullscreen` };
    }),
    row("gpu", "GPU", available.gpu, latest, (s) => {
      if (!s.gpuKnown) return null;
      return { value: s.gpuBusyBy === null ? "No other app is using it" : `In use by ${s.gpuBusyBy}` };
    }),
    row("memory", "Free memory", available.memory, latest, (s) =>
      s.freeMemoryBytes === null ? null : { value: formatBytes(s.freeMemoryBytes) },
    ),
  ];
}
