import { afterEach, describe, expect, it } from "vitest";
import { gridToWindows, windowsToGrid } from "./schedule";
import { decideSharing } from "./sharing-policy";
import { sharingRulesSchema, type Signals, type WeeklyWindow } from "./sharing-types";

const at = (iso: string): number => Date.parse(iso);

/** Saturday 22:00 to Sunday 07:00, written as the grid writes it. */
const SATURDAY_NIGHT: WeeklyWindow[] = [
  { day: 6, startMinute: 22 * 60, endMinute: 1440 },
  { day: 0, startMinute: 0, endMinute: 7 * 60 },
];

function decide(windows: WeeklyWindow[], now: number, timeZone: string) {
  const rules = sharingRulesSchema.parse({ mode: "schedule", windows });
  const signals: Signals = {
    now,
    timeZone,
    idleSeconds: 0,
    onBattery: false,
    thermal: null,
    game: null,
    processesKnown: true,
    fullscreenApp: null,
    fullscreenKnown: true,
    gpuBusyBy: null,
    gpuKnown: true,
    ownAppRunning: null,
    freeMemoryBytes: null,
  };
  return decideSharing(rules, signals);
}

/** The nights of 2026 when the clocks change; times carry the offset in force at that moment. */
const DST_NIGHTS = [
  {
    name: "Paris, spring forward (29 March)",
    zone: "Europe/Paris",
    lateEvening: "2026-03-28T23:30:00+01:00",
    earlyMorning: "2026-03-29T06:30:00+02:00",
    closes: "2026-03-29T07:00:00+02:00",
    afterClose: "2026-03-29T07:30:00+02:00",
    nextOpening: "2026-04-04T22:00:00+02:00",
  },
  {
    name: "Paris, fall back (25 October)",
    zone: "Europe/Paris",
    lateEvening: "2026-10-24T23:30:00+02:00",
    earlyMorning: "2026-10-25T06:30:00+01:00",
    closes: "2026-10-25T07:00:00+01:00",
    afterClose: "2026-10-25T07:30:00+01:00",
    nextOpening: "2026-10-31T22:00:00+01:00",
  },
  {
    name: "New York, spring forward (8 March)",
    zone: "America/New_York",
    lateEvening: "2026-03-07T23:30:00-05:00",
    earlyMorning: "2026-03-08T06:30:00-04:00",
    closes: "2026-03-08T07:00:00-04:00",
    afterClose: "2026-03-08T07:30:00-04:00",
    nextOpening: "2026-03-14T22:00:00-04:00",
  },
  {
    name: "New York, fall back (1 November)",
    zone: "America/New_York",
    lateEvening: "2026-10-31T23:30:00-04:00",
    earlyMorning: "2026-11-01T06:30:00-05:00",
    closes: "2026-11-01T07:00:00-05:00",
    afterClose: "2026-11-01T07:30:00-05:00",
    nextOpening: "2026-11-07T22:00:00-05:00",
  },
];

describe("weekly windows across the 2026 DST nights", () => {
  it.each(DST_NIGHTS)("$name: open at 23:30 and 06:30, closed at 07:30", (night) => {
    const evening = decide(SATURDAY_NIGHT, at(night.lateEvening), night.zone);
    expect(evening).toEqual({ share: true, reason: "Sharing until 07:00 (schedule)", nextChangeAt: at(night.closes), pausedByOwner: false });
    const morning = decide(SATURDAY_NIGHT, at(night.earlyMorning), night.zone);
    expect(morning).toEqual({ share: true, reason: "Sharing until 07:00 (schedule)", nextChangeAt: at(night.closes), pausedByOwner: false });
    const after = decide(SATURDAY_NIGHT, at(night.afterClose), night.zone);
    expect(after).toEqual({ share: false, reason: "Off until Saturday 22:00 (schedule)", nextChangeAt: at(night.nextOpening), pausedByOwner: false });
  });

  it.each(DST_NIGHTS)("$name: the edges are exact (open at 07:00 minus 1 ms, closed at 07:00)", (night) => {
    expect(decide(SATURDAY_NIGHT, at(night.closes) - 1, night.zone).share).toBe(true);
    const closed = decide(SATURDAY_NIGHT, at(night.closes), night.zone);
    expect(closed.share).toBe(false);
    expect(closed.nextChangeAt).toBe(at(night.nextOpening));
  });

  it("a window starting inside the skipped hour opens at the first minute that exists", () => {
    const window = [{ day: 0, startMinute: 2 * 60 + 30, endMinute: 4 * 60 }];
    const before = decide(window, at("2026-03-29T01:59:00+01:00"), "Europe/Paris");
    expect(before.share).toBe(false);
    expect(before.nextChangeAt).toBe(at("2026-03-29T03:00:00+02:00"));
    expect(before.reason).toBe("Off until 03:00 (schedule)");
    const after = decide(window, at("2026-03-29T03:00:00+02:00"), "Europe/Paris");
    expect(after).toEqual({ share: true, reason: "Sharing until 04:00 (schedule)", nextChangeAt: at("2026-03-29T04:00:00+02:00"), pausedByOwner: false });
  });

  it("a window in the repeated hour is open both times the wall clock passes through it", () => {
    const window = [{ day: 0, startMinute: 60, endMinute: 90 }];
    const first = decide(window, at("2026-11-01T01:10:00-04:00"), "America/New_York");
    expect(first).toMatchObject({ share: true, nextChangeAt: at("2026-11-01T01:30:00-04:00") });
    const between = decide(window, at("2026-11-01T01:45:00-04:00"), "America/New_York");
    expect(between).toMatchObject({ share: false, nextChangeAt: at("2026-11-01T01:00:00-05:00") });
    expect(decide(window, at("2026-11-01T01:10:00-05:00"), "America/New_York").share).toBe(true);
  });
});

describe("weekly windows: edges, zones and app start", () => {
  const weekdayMornings = [1, 2, 3, 4, 5].map((day) => ({ day, startMinute: 9 * 60, endMinute: 17 * 60 }));

  it("counts a window that is already open when the app starts", () => {
    expect(decide(weekdayMornings, at("2026-06-10T16:59:59+02:00"), "Europe/Paris").share).toBe(true);
  });

  it("gives the opening instant at the edge, then the closing one", () => {
    const opening = at("2026-06-10T09:00:00+02:00");
    expect(decide(weekdayMornings, opening - 1, "Europe/Paris")).toMatchObject({ share: false, nextChangeAt: opening });
    expect(decide(weekdayMornings, opening, "Europe/Paris")).toEqual({
      share: true,
      reason: "Sharing until 17:00 (schedule)",
      nextChangeAt: at("2026-06-10T17:00:00+02:00"),
      pausedByOwner: false,
    });
  });

  it("skips edges where one window runs into the next (Saturday 24:00 = Sunday 00:00)", () => {
    const decision = decide(SATURDAY_NIGHT, at("2026-06-13T23:59:00+02:00"), "Europe/Paris");
    expect(decision.nextChangeAt).toBe(at("2026-06-14T07:00:00+02:00"));
  });

  it("re-evaluates in the new zone when the owner's time zone changes", () => {
    const now = at("2026-06-10T07:00:00Z");
    expect(decide(weekdayMornings, now, "Europe/Paris")).toMatchObject({ share: true, reason: "Sharing until 17:00 (schedule)" });
    expect(decide(weekdayMornings, now, "America/New_York")).toEqual({
      share: false,
      reason: "Off until 09:00 (schedule)",
      nextChangeAt: at("2026-06-10T09:00:00-04:00"),
      pausedByOwner: false,
    });
    expect(decide(weekdayMornings, now, "Asia/Tokyo")).toMatchObject({ share: true, nextChangeAt: at("2026-06-10T17:00:00+09:00") });
  });

  describe("ignores the machine's own time zone", () => {
    const saved = process.env.TZ;
    afterEach(() => {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    });

    it("gives the same decision whatever TZ the process runs in", () => {
      const now = at("2026-03-29T06:30:00+02:00");
      const decisions = ["UTC", "Pacific/Kiritimati", "America/Los_Angeles"].map((tz) => {
        process.env.TZ = tz;
        return decide(SATURDAY_NIGHT, now, "Europe/Paris");
      });
      expect(decisions[1]).toEqual(decisions[0]);
      expect(decisions[2]).toEqual(decisions[0]);
      expect(decisions[0]?.share).toBe(true);
    });
  });
});

/** The painted cells of one day of a grid. */
function onCells(grid: boolean[][], day: number): number[] {
  return (grid[day] ?? []).flatMap((on, cell) => (on ? [cell] : []));
}

describe("schedule grid", () => {
  it("paints weeknights into the right half-hour cells", () => {
    const grid = windowsToGrid([
      { day: 1, startMinute: 22 * 60, endMinute: 1440 },
      { day: 2, startMinute: 0, endMinute: 7 * 60 },
    ]);
    expect(grid).toHaveLength(7);
    expect(grid.every((row) => row.length === 48)).toBe(true);
    expect(onCells(grid, 1)).toEqual([44, 45, 46, 47]);
    expect(onCells(grid, 2)).toEqual([...Array(14).keys()]);
    expect(grid.flat().filter(Boolean)).toHaveLength(18);
  });

  it("shows a window that is not on the half hour in every cell it touches", () => {
    const grid = windowsToGrid([{ day: 3, startMinute: 9 * 60 + 15, endMinute: 10 * 60 + 1 }]);
    expect(onCells(grid, 3)).toEqual([18, 19, 20]);
  });

  it("turns painted runs into one window per run per day, ending at 1440 at midnight", () => {
    const painted: Record<number, number[]> = {
      2: [0, 2, 3], // Tue 00:00–00:30, then 01:00–01:30 and the adjacent 01:30–02:00 (merge)
      5: [36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47], // Fri 18:00–24:00
    };
    const grid = Array.from({ length: 7 }, (_, day) => Array.from({ length: 48 }, (_, cell) => painted[day]?.includes(cell) ?? false));
    expect(gridToWindows(grid)).toEqual([
      { day: 2, startMinute: 0, endMinute: 30 },
      { day: 2, startMinute: 60, endMinute: 120 },
      { day: 5, startMinute: 18 * 60, endMinute: 1440 },
    ]);
  });

  it("round-trips a grid and its windows", () => {
    const windows: WeeklyWindow[] = [
      { day: 0, startMinute: 0, endMinute: 7 * 60 },
      { day: 3, startMinute: 9 * 60, endMinute: 12 * 60 },
      { day: 3, startMinute: 13 * 60 + 30, endMinute: 17 * 60 },
      { day: 6, startMinute: 22 * 60, endMinute: 1440 },
    ];
    expect(gridToWindows(windowsToGrid(windows))).toEqual(windows);
    const grid = windowsToGrid(windows);
    expect(windowsToGrid(gridToWindows(grid))).toEqual(grid);
  });

  it("paints nothing for no windows and reads nothing from an empty grid", () => {
    expect(windowsToGrid([]).flat().some(Boolean)).toBe(false);
    expect(gridToWindows(windowsToGrid([]))).toEqual([]);
  });
});
