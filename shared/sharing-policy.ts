/**
 * The sharing policy: a pure function from the owner's rules and the sampled signals to a
 * decision — share or not, a sentence the owner reads, and when the answer may change next.
 */
import { clockText, DAY_MS, WEEKDAY_NAMES, zoneClock, type ZoneClock } from "./local-time";
import { scheduleStateAt, weekCoverage, type ScheduleState } from "./schedule";
import type { SharingDecision, SharingRules, Signals } from "./sharing-types";

export { gridToWindows, windowsToGrid } from "./schedule";
export { scheduleSummary } from "./schedule-summary";

const GIB = 2 ** 30;
const MIB = 2 ** 20;
const NAME_LIMIT = 80;

/**
 * Decide whether the node shares now.
 *
 * First rule that applies wins: mode off, a pause the owner set, the owner's own app, a game, a
 * fullscreen app, another app on the GPU, battery, heat, low memory; then the mode (always,
 * schedule, idle, idle within the schedule). A signal that is not available never pauses, except
 * idle time, which the idle modes need: without it they wait and say why.
 */
export function decideSharing(rules: SharingRules, signals: Signals): SharingDecision {
  if (rules.mode === "off") return stay("Off: sharing is set to off", null);
  const clock = zoneClock(signals.timeZone);
  if (rules.pausedUntil !== null && rules.pausedUntil > signals.now) {
    const valid = Number.isFinite(new Date(rules.pausedUntil).getTime());
    return { ...stay(`Paused until ${pauseEndText(rules.pausedUntil, signals.now, clock)}`, valid ? rules.pausedUntil : null), pausedByOwner: true };
  }
  const paused = signalPause(rules, signals);
  if (paused !== null) return stay(paused, null);
  switch (rules.mode) {
    case "always":
      return { share: true, reason: "Sharing: always on", nextChangeAt: null, pausedByOwner: false };
    case "idle":
      return idleDecision(rules, signals, null);
    case "schedule":
    case "idle-in-schedule":
      return scheduleDecision(rules, signals, clock);
  }
}

function stay(reason: string, nextChangeAt: number | null): SharingDecision {
  return { share: false, reason, nextChangeAt, pausedByOwner: false };
}

/** The sentence for the first signal that pauses sharing, or null. */
function signalPause(rules: SharingRules, signals: Signals): string | null {
  if (signals.ownAppRunning !== null) {
    const name = displayName(signals.ownAppRunning);
    return name ? `Paused: ${name} is running` : "Paused: one of your apps is running";
  }
  if (rules.pauseForGames && signals.game !== null) {
    const kind = signals.game.source === "steam" ? "Steam game running" : "game running";
    return withName(`Paused: ${kind}`, signals.game.name);
  }
  if (rules.pauseForFullscreen && signals.fullscreenApp !== null) {
    return withName("Paused: a fullscreen app is open", signals.fullscreenApp);
  }
  if (rules.pauseWhenGpuBusy && signals.gpuBusyBy !== null) {
    return withName("Paused: another app is using the GPU", signals.gpuBusyBy);
  }
  if (rules.pauseOnBattery && signals.onBattery === true) return "Paused: on battery power";
  if (rules.pauseWhenHot && (signals.thermal === "serious" || signals.thermal === "critical")) {
    return `Paused: the machine is hot (${signals.thermal})`;
  }
  if (rules.minFreeMemoryBytes > 0 && signals.freeMemoryBytes !== null && signals.freeMemoryBytes < rules.minFreeMemoryBytes) {
    return `Paused: only ${memoryText(signals.freeMemoryBytes, Math.floor)} of memory free (keeps ${memoryText(rules.minFreeMemoryBytes, Math.ceil)} for you)`;
  }
  return null;
}

function scheduleDecision(rules: SharingRules, signals: Signals, clock: ZoneClock | null): SharingDecision {
  const coverage = weekCoverage(rules.windows);
  if (coverage.edges.length === 0 && !coverage.minutes.includes(1)) {
    return stay("Off: no sharing hours are painted in the schedule", null);
  }
  const state: ScheduleState | null = clock ? scheduleStateAt(coverage, clock, signals.now) : null;
  if (!clock || !state) {
    return stay(`Off: the time zone "${displayName(signals.timeZone)}" is not known here, so the schedule cannot be read`, null);
  }
  const { open, nextChangeAt } = state;
  if (!open) {
    const until = nextChangeAt === null ? "" : ` until ${changeText(nextChangeAt, signals.now, clock)}`;
    return stay(`Off${until} (schedule)`, nextChangeAt);
  }
  const closes = nextChangeAt === null ? null : changeText(nextChangeAt, signals.now, clock);
  if (rules.mode === "idle-in-schedule") return idleDecision(rules, signals, { closes, nextChangeAt });
  const reason = closes === null ? "Sharing: the schedule covers every hour" : `Sharing until ${closes} (schedule)`;
  return { share: true, reason, nextChangeAt, pausedByOwner: false };
}

/** The idle rule; `window` is the open schedule window it runs inside, if any. */
function idleDecision(
  rules: SharingRules,
  signals: Signals,
  window: { closes: string | null; nextChangeAt: number | null } | null,
): SharingDecision {
  const nextChangeAt = window?.nextChangeAt ?? null;
  if (signals.idleSeconds === null) {
    return stay("Waiting: idle time is not available on this machine; choose Always or a schedule", nextChangeAt);
  }
  const awayMinutes = Math.floor(signals.idleSeconds / 60);
  if (signals.idleSeconds >= rules.idleMinutes * 60) {
    const away = `you have been away ${durationText(awayMinutes)}`;
    if (window === null) return { share: true, reason: `Sharing: ${away}`, nextChangeAt: null, pausedByOwner: false };
    const reason = window.closes === null ? `Sharing: ${away} (schedule)` : `Sharing until ${window.closes} (schedule; ${away})`;
    return { share: true, reason, nextChangeAt, pausedByOwner: false };
  }
  const active = awayMinutes === 0 ? "just now" : `${durationText(awayMinutes)} ago`;
  const scheduleNote = window?.closes ? `; schedule open until ${window.closes}` : "";
  return stay(`Waiting: you were active ${active} (starts after ${rules.idleMinutes}${scheduleNote})`, nextChangeAt);
}

/** "14:30", "tomorrow 08:00", "Monday 08:00" or "2026-08-03 08:00", in the owner's zone. */
function pauseEndText(until: number, now: number, clock: ZoneClock | null): string {
  const zone = clock ?? zoneClock("UTC");
  const end = zone?.at(until);
  const today = zone?.at(now);
  if (!end || !today) return "you resume";
  const suffix = clock ? "" : " UTC";
  const time = clockText(end.minuteOfDay) + suffix;
  const days = end.dayNumber - today.dayNumber;
  if (days <= 0) return time;
  if (days === 1) return `tomorrow ${time}`;
  if (days < 7) return `${WEEKDAY_NAMES[end.weekday]} ${time}`;
  const date = `${String(end.year).padStart(4, "0")}-${String(end.month).padStart(2, "0")}-${String(end.day).padStart(2, "0")}`;
  return `${date} ${time}`;
}

/** A schedule change: "07:00" within the next day, else "Monday 22:00". */
function changeText(at: number, now: number, clock: ZoneClock): string {
  const local = clock.at(at);
  if (!local) return "later";
  const time = clockText(local.minuteOfDay);
  return at - now < DAY_MS ? time : `${WEEKDAY_NAMES[local.weekday]} ${time}`;
}

/** "1 minute", "12 minutes", "2 hours", "1 hour 5 minutes". */
function durationText(minutes: number): string {
  const plural = (n: number, unit: string): string => `${n} ${unit}${n === 1 ? "" : "s"}`;
  if (minutes < 60) return plural(minutes, "minute");
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? plural(hours, "hour") : `${plural(hours, "hour")} ${plural(rest, "minute")}`;
}

/** "1.2 GB", "16 GB", "512 MB"; `round` picks the direction so a shortfall never reads as enough. */
function memoryText(bytes: number, round: (x: number) => number): string {
  const nudge = round === Math.floor ? 1e-9 : -1e-9;
  if (bytes < GIB) return `${round(bytes / MIB + nudge)} MB`;
  const gib = bytes / GIB;
  const value = gib < 10 ? round(gib * 10 + nudge) / 10 : round(gib + nudge);
  return `${value} GB`;
}

/** A process or app name fit for a sentence: one line, trimmed, at most 80 characters. */
function displayName(name: string): string {
  const line = name.replace(/\s+/g, " ").trim();
  return line.length > NAME_LIMIT ? `${line.slice(0, NAME_LIMIT - 1)}…` : line;
}

function withName(sentence: string, name: string): string {
  const shown = displayName(name);
  return shown ? `${sentence} (${shown})` : sentence;
}
