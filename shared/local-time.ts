/**
 * Wall-clock time in the owner's IANA time zone, read with Intl.DateTimeFormat. Nothing here uses
 * the machine's own zone: every reading names its zone.
 */

export const MINUTE_MS = 60_000;
export const DAY_MS = 24 * 60 * MINUTE_MS;
export const WEEK_MS = 7 * DAY_MS;

/** Day names, 0 = Sunday … 6 = Saturday (the same numbering as WeeklyWindow.day). */
export const WEEKDAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"] as const;
export const WEEKDAY_SHORT_NAMES = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;

/** Largest |epoch ms| a Date can hold. */
const MAX_DATE_MS = 8.64e15;

/** One instant as the owner's wall clock shows it. */
export interface LocalTime {
  /** 0 = Sunday … 6 = Saturday. */
  readonly weekday: number;
  readonly year: number;
  /** 1 … 12. */
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  /** Minutes since local midnight (0 … 1439). */
  readonly minuteOfDay: number;
  /** Milliseconds since the local week began (Sunday 00:00). */
  readonly weekMs: number;
  /** The local calendar date as days since 1970-01-01, to tell "today" from "tomorrow". */
  readonly dayNumber: number;
  /** Local wall-clock time minus UTC, in ms (changes at DST transitions). */
  readonly offsetMs: number;
}

/** Reads instants in one time zone. */
export interface ZoneClock {
  /** The zone's canonical name ("Europe/Paris"). */
  readonly timeZone: string;
  /** The wall-clock reading of an instant, or null when the instant is outside the Date range. */
  at(epochMs: number): LocalTime | null;
}

/** A clock for an IANA time zone, or null when this runtime does not know the zone. */
export function zoneClock(timeZone: string): ZoneClock | null {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      weekday: "short",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
      numberingSystem: "latn",
    });
  } catch {
    return null;
  }
  return { timeZone: format.resolvedOptions().timeZone, at: (epochMs) => readLocalTime(format, epochMs) };
}

function readLocalTime(format: Intl.DateTimeFormat, epochMs: number): LocalTime | null {
  if (!Number.isFinite(epochMs) || Math.abs(epochMs) > MAX_DATE_MS) return null;
  const fields: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {};
  for (const part of format.formatToParts(epochMs)) fields[part.type] = part.value;
  const weekday = WEEKDAY_SHORT_NAMES.indexOf((fields.weekday ?? "") as (typeof WEEKDAY_SHORT_NAMES)[number]);
  const year = Number(fields.year);
  const month = Number(fields.month);
  const day = Number(fields.day);
  const hour = Number(fields.hour) % 24;
  const minute = Number(fields.minute);
  const second = Number(fields.second);
  if (weekday < 0 || ![year, month, day, hour, minute, second].every(Number.isInteger)) return null;
  const millis = ((epochMs % 1000) + 1000) % 1000;
  const msOfDay = ((hour * 60 + minute) * 60 + second) * 1000 + millis;
  const midnight = new Date(0);
  midnight.setUTCFullYear(year, month - 1, day);
  const dayNumber = Math.floor(midnight.getTime() / DAY_MS);
  return {
    weekday,
    year,
    month,
    day,
    hour,
    minute,
    minuteOfDay: hour * 60 + minute,
    weekMs: weekday * DAY_MS + msOfDay,
    dayNumber,
    offsetMs: dayNumber * DAY_MS + msOfDay - epochMs,
  };
}

/** "07:05" for minutes since midnight (1440 reads "24:00"). */
export function clockText(minuteOfDay: number): string {
  const hours = Math.floor(minuteOfDay / 60);
  const minutes = minuteOfDay % 60;
  return `${String(hours).padStart(2, "0")}:${String(minutes).padStart(2, "0")}`;
}
