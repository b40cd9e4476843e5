import { describe, expect, it } from "vitest";
import { scheduleSummary } from "./schedule-summary";
import type { SharingRules, WeeklyWindow } from "./sharing-types";

type Summarised = Pick<SharingRules, "mode" | "windows" | "idleMinutes">;

/** Windows for the given days from `start` to `end` minutes; `end` past 1440 spills into the next day. */
function nightly(days: number[], start: number, end: number): WeeklyWindow[] {
  return days.flatMap((day) =>
    end <= 1440
      ? [{ day, startMinute: start, endMinute: end }]
      : [
          { day, startMinute: start, endMinute: 1440 },
          { day: (day + 1) % 7, startMinute: 0, endMinute: end - 1440 },
        ],
  );
}

const WEEKDAYS = [1, 2, 3, 4, 5];
const ALL_DAYS = [0, 1, 2, 3, 4, 5, 6];

const cases: { name: string; rules: Summarised; summary: string }[] = [
  { name: "off", rules: { mode: "off", windows: [], idleMinutes: 10 }, summary: "Never shares (sharing is off)" },
  { name: "always", rules: { mode: "always", windows: [], idleMinutes: 10 }, summary: "Shares always" },
  { name: "idle", rules: { mode: "idle", windows: [], idleMinutes: 10 }, summary: "Shares whenever you're away 10 minutes" },
  { name: "idle, one minute", rules: { mode: "idle", windows: [], idleMinutes: 1 }, summary: "Shares whenever you're away 1 minute" },
  { name: "no hours painted", rules: { mode: "schedule", windows: [], idleMinutes: 10 }, summary: "Never shares (no hours painted)" },
  {
    name: "weeknights, merged past midnight",
    rules: { mode: "schedule", windows: nightly(WEEKDAYS, 22 * 60, 31 * 60), idleMinutes: 10 },
    summary: "Shares weeknights 22:00–07:00",
  },
  {
    name: "weeknights while away",
    rules: { mode: "idle-in-schedule", windows: nightly(WEEKDAYS, 22 * 60, 31 * 60), idleMinutes: 10 },
    summary: "Shares weeknights 22:00–07:00, once you're away 10 minutes",
  },
  { name: "weekdays", rules: { mode: "schedule", windows: nightly(WEEKDAYS, 9 * 60, 17 * 60), idleMinutes: 10 }, summary: "Shares weekdays 09:00–17:00" },
  { name: "weekends all day", rules: { mode: "schedule", windows: nightly([6, 0], 0, 1440), idleMinutes: 10 }, summary: "Shares on weekends all day" },
  { name: "every day", rules: { mode: "schedule", windows: nightly(ALL_DAYS, 12 * 60, 14 * 60), idleMinutes: 10 }, summary: "Shares every day 12:00–14:00" },
  { name: "every night", rules: { mode: "schedule", windows: nightly(ALL_DAYS, 23 * 60, 30 * 60), idleMinutes: 10 }, summary: "Shares every night 23:00–06:00" },
  { name: "every hour", rules: { mode: "schedule", windows: nightly(ALL_DAYS, 0, 1440), idleMinutes: 10 }, summary: "Shares every day, all day" },
  { name: "every hour while away", rules: { mode: "idle-in-schedule", windows: nightly(ALL_DAYS, 0, 1440), idleMinutes: 5 }, summary: "Shares whenever you're away 5 minutes" },
  { name: "a list of days", rules: { mode: "schedule", windows: nightly([1, 3], 18 * 60, 23 * 60), idleMinutes: 10 }, summary: "Shares Mon, Wed 18:00–23:00" },
  { name: "a range of days", rules: { mode: "schedule", windows: nightly([1, 2, 3, 4], 18 * 60, 23 * 60), idleMinutes: 10 }, summary: "Shares Mon–Thu 18:00–23:00" },
  {
    name: "two stretches on the same days",
    rules: { mode: "schedule", windows: [...nightly(WEEKDAYS, 9 * 60, 12 * 60), ...nightly(WEEKDAYS, 13 * 60, 17 * 60)], idleMinutes: 10 },
    summary: "Shares weekdays 09:00–12:00, 13:00–17:00",
  },
  {
    name: "weeknights and weekends",
    rules: { mode: "schedule", windows: [...nightly([1, 2, 3, 4], 22 * 60, 31 * 60), ...nightly([5], 22 * 60, 1440), ...nightly([6, 0], 0, 1440)], idleMinutes: 10 },
    summary: "Shares Mon–Thu 22:00–07:00, Fri 22:00–24:00 and on weekends all day",
  },
  { name: "Saturday night into Sunday", rules: { mode: "schedule", windows: nightly([6], 22 * 60, 31 * 60), idleMinutes: 10 }, summary: "Shares Sat 22:00–07:00" },
  {
    name: "overlapping windows merge",
    rules: { mode: "schedule", windows: [{ day: 2, startMinute: 60, endMinute: 180 }, { day: 2, startMinute: 120, endMinute: 240 }], idleMinutes: 10 },
    summary: "Shares Tue 01:00–04:00",
  },
];

describe("scheduleSummary", () => {
  it.each(cases)("$name", ({ rules, summary }) => {
    expect(scheduleSummary(rules)).toBe(summary);
  });
});
