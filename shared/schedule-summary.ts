/**
 * The owner's rules as one plain sentence for the Schedule screen and the dashboard:
 * "Shares weeknights 22:00–07:00", "Shares on weekends all day", "Never shares (no hours painted)".
 */
import { clockText, WEEKDAY_SHORT_NAMES } from "./local-time";
import { MINUTES_PER_DAY, MINUTES_PER_WEEK, weekCoverage } from "./schedule";
import type { SharingRules, WeeklyWindow } from "./sharing-types";

/** One stretch of sharing attributed to the day it starts on; `end` may pass 1440 (overnight). */
interface Segment {
  readonly day: number;
  readonly start: number;
  readonly end: number;
}

/** Days in the order a week is read: Monday first. */
const READING_ORDER = [1, 2, 3, 4, 5, 6, 0];

/** A plain-language sentence for the owner's sharing rules. */
export function scheduleSummary(rules: Pick<SharingRules, "mode" | "windows" | "idleMinutes">): string {
  const away = `${rules.idleMinutes} minute${rules.idleMinutes === 1 ? "" : "s"}`;
  switch (rules.mode) {
    case "off":
      return "Never shares (sharing is off)";
    case "always":
      return "Shares always";
    case "idle":
      return `Shares whenever you're away ${away}`;
    case "schedule":
    case "idle-in-schedule": {
      const hours = hoursPhrase(rules.windows);
      if (hours === null) return "Never shares (no hours painted)";
      if (rules.mode === "schedule") return `Shares ${hours}`;
      return hours === "every day, all day" ? `Shares whenever you're away ${away}` : `Shares ${hours}, once you're away ${away}`;
    }
  }
}

/** "weeknights 22:00–07:00 and on weekends all day", or null when no hour is painted. */
function hoursPhrase(windows: readonly WeeklyWindow[]): string | null {
  const { minutes } = weekCoverage(windows);
  const firstOff = minutes.indexOf(0);
  if (firstOff === -1) return "every day, all day";
  if (!minutes.includes(1)) return null;
  const segments = runsFrom(minutes, firstOff).flatMap(splitAtMidnights);
  const byDay = new Map<number, Segment[]>();
  for (const segment of segments) byDay.set(segment.day, [...(byDay.get(segment.day) ?? []), segment]);
  const groups = new Map<string, { days: number[]; segments: Segment[] }>();
  for (const day of READING_ORDER) {
    const daySegments = (byDay.get(day) ?? []).sort((a, b) => a.start - b.start);
    if (daySegments.length === 0) continue;
    const key = daySegments.map((s) => `${s.start}-${s.end}`).join(",");
    const group = groups.get(key);
    if (group) group.days.push(day);
    else groups.set(key, { days: [day], segments: daySegments });
  }
  return joinList([...groups.values()].map((group) => groupPhrase(group.days, group.segments)));
}

/** Runs of covered minutes around the week, starting the walk at an uncovered minute. */
function runsFrom(minutes: Uint8Array, firstOff: number): { start: number; end: number }[] {
  const runs: { start: number; end: number }[] = [];
  let runStart: number | null = null;
  for (let i = 1; i <= MINUTES_PER_WEEK; i++) {
    const at = firstOff + i;
    const on = minutes[at % MINUTES_PER_WEEK] === 1;
    if (on && runStart === null) runStart = at;
    if (!on && runStart !== null) {
      runs.push({ start: runStart, end: at });
      runStart = null;
    }
  }
  return runs;
}

/** A run as day segments; a run that just crosses one midnight stays whole ("22:00–07:00"). */
function splitAtMidnights(run: { start: number; end: number }): Segment[] {
  const pieces: Segment[] = [];
  for (let from = run.start; from < run.end; ) {
    const dayStart = Math.floor(from / MINUTES_PER_DAY) * MINUTES_PER_DAY;
    const to = Math.min(run.end, dayStart + MINUTES_PER_DAY);
    pieces.push({ day: (dayStart / MINUTES_PER_DAY) % 7, start: from - dayStart, end: to - dayStart });
    from = to;
  }
  const [first, second] = pieces;
  if (pieces.length === 2 && first && second && first.start > 0 && second.end < MINUTES_PER_DAY) {
    return [{ day: first.day, start: first.start, end: MINUTES_PER_DAY + second.end }];
  }
  return pieces;
}

function groupPhrase(days: readonly number[], segments: readonly Segment[]): string {
  const allDay = segments.length === 1 && segments.every((s) => s.start === 0 && s.end === MINUTES_PER_DAY);
  const overnight = segments.every((s) => s.end > MINUTES_PER_DAY);
  const daysText = daysPhrase(days, overnight);
  if (allDay) return daysText === "every day" ? "every day, all day" : `on ${daysText} all day`;
  const hours = segments.map((s) => `${clockText(s.start)}–${clockText(s.end > MINUTES_PER_DAY ? s.end - MINUTES_PER_DAY : s.end)}`);
  return `${daysText} ${hours.join(", ")}`;
}

/** "weekdays", "weeknights", "weekends", "every day", "every night", or "Mon–Wed, Fri". */
function daysPhrase(days: readonly number[], overnight: boolean): string {
  const set = new Set(days);
  const is = (wanted: number[]): boolean => set.size === wanted.length && wanted.every((d) => set.has(d));
  if (set.size === 7) return overnight ? "every night" : "every day";
  if (is([1, 2, 3, 4, 5])) return overnight ? "weeknights" : "weekdays";
  if (is([0, 6]) && !overnight) return "weekends";
  // Positions in reading order, so Mon–Fri is a range and Sat, Sun sit together at the end.
  const positions = READING_ORDER.flatMap((day, position) => (set.has(day) ? [position] : []));
  const name = (position: number): string => WEEKDAY_SHORT_NAMES[READING_ORDER[position] ?? 0] ?? "";
  const parts: string[] = [];
  for (let i = 0; i < positions.length; ) {
    let j = i;
    while (j + 1 < positions.length && positions[j + 1] === (positions[j] ?? 0) + 1) j++;
    const run = positions.slice(i, j + 1);
    if (run.length >= 3) parts.push(`${name(run[0] ?? 0)}–${name(run[run.length - 1] ?? 0)}`);
    else parts.push(...run.map(name));
    i = j + 1;
  }
  return parts.join(", ");
}

/** "a", "a and b", "a, b and c". */
function joinList(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}
