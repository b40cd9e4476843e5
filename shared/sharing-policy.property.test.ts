import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { gridToWindows, windowsToGrid } from "./schedule";
import { decideSharing, scheduleSummary } from "./sharing-policy";
import { sharingRulesSchema, weeklyWindowSchema, type SharingRules, type Signals, type WeeklyWindow } from "./sharing-types";

const RUNS = { numRuns: 500 };
const DAY_MS = 86_400_000;
const GIB = 2 ** 30;
const ZONES = ["Europe/Paris", "America/New_York", "UTC", "Asia/Kolkata", "Australia/Lord_Howe", "America/St_Johns", "Pacific/Chatham"];
/** Instants of the 2026 clock changes in the zones above, where schedule bugs hide. */
const CLOCK_CHANGES = [
  "2026-03-29T01:00:00Z",
  "2026-10-25T01:00:00Z",
  "2026-03-08T07:00:00Z",
  "2026-11-01T06:00:00Z",
  "2026-04-04T15:00:00Z",
  "2026-10-03T15:30:00Z",
].map(Date.parse);

const nowArb = fc.oneof(
  fc.integer({ min: Date.parse("2020-01-01T00:00:00Z"), max: Date.parse("2035-12-31T00:00:00Z") }),
  fc.tuple(fc.constantFrom(...CLOCK_CHANGES), fc.integer({ min: -3 * DAY_MS, max: 3 * DAY_MS })).map(([t, d]) => t + d),
);

const windowArb: fc.Arbitrary<WeeklyWindow> = fc
  .record({ day: fc.integer({ min: 0, max: 6 }), startMinute: fc.integer({ min: 0, max: 1439 }) })
  .chain(({ day, startMinute }) => fc.integer({ min: startMinute + 1, max: 1440 }).map((endMinute) => ({ day, startMinute, endMinute })));

const alignedWindowArb: fc.Arbitrary<WeeklyWindow> = fc
  .record({ day: fc.integer({ min: 0, max: 6 }), startCell: fc.integer({ min: 0, max: 47 }) })
  .chain(({ day, startCell }) =>
    fc.integer({ min: startCell + 1, max: 48 }).map((endCell) => ({ day, startMinute: startCell * 30, endMinute: endCell * 30 })),
  );

/** Mostly null, sometimes a name: pauses should not hide every other rule. */
const rareName = fc.oneof({ arbitrary: fc.constant(null), weight: 4 }, { arbitrary: fc.string({ maxLength: 30 }), weight: 1 });

const rulesArb: fc.Arbitrary<SharingRules> = fc.record({
  mode: fc.constantFrom("off", "always", "idle", "schedule", "idle-in-schedule"),
  windows: fc.array(windowArb, { maxLength: 8 }),
  idleMinutes: fc.integer({ min: 1, max: 120 }),
  pauseOnBattery: fc.boolean(),
  pauseWhenHot: fc.boolean(),
  pauseForGames: fc.boolean(),
  pauseForFullscreen: fc.boolean(),
  pauseWhenGpuBusy: fc.boolean(),
  ownApps: fc.constant([]),
  minFreeMemoryBytes: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 64 * GIB })),
  pausedUntil: fc.option(fc.integer({ min: Date.parse("2020-01-01T00:00:00Z"), max: Date.parse("2035-12-31T00:00:00Z") }), { freq: 2 }),
  freeGpuWhenPaused: fc.boolean(),
});

const signalsArb: fc.Arbitrary<Signals> = fc.record({
  now: nowArb,
  timeZone: fc.oneof({ arbitrary: fc.constantFrom(...ZONES), weight: 9 }, { arbitrary: fc.constant("Not/A_Zone"), weight: 1 }),
  idleSeconds: fc.option(fc.integer({ min: 0, max: 20_000 })),
  onBattery: fc.option(fc.boolean()),
  thermal: fc.option(fc.constantFrom("nominal", "fair", "serious", "critical")),
  game: fc.oneof(
    { arbitrary: fc.constant(null), weight: 4 },
    { arbitrary: fc.record({ name: fc.string({ maxLength: 30 }), source: fc.constantFrom("steam", "launcher", "list") }), weight: 1 },
  ),
  processesKnown: fc.boolean(),
  fullscreenApp: rareName,
  fullscreenKnown: fc.boolean(),
  gpuBusyBy: rareName,
  gpuKnown: fc.boolean(),
  ownAppRunning: rareName,
  freeMemoryBytes: fc.option(fc.integer({ min: 0, max: 128 * GIB })),
});

/** Signals that pause nothing, so the schedule alone decides. */
function calm(now: number, timeZone: string): Signals {
  return {
    now,
    timeZone,
    idleSeconds: null,
    onBattery: null,
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
}

/** An oracle for "is a window open", reading the wall clock on its own and checking windows one by one. */
function openByOracle(windows: readonly WeeklyWindow[], now: number, timeZone: string): boolean {
  const parts = new Intl.DateTimeFormat("en-GB", { timeZone, hourCycle: "h23", weekday: "long", hour: "2-digit", minute: "2-digit" }).formatToParts(now);
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? "";
  const day = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"].indexOf(get("weekday"));
  const minute = Number(get("hour")) * 60 + Number(get("minute"));
  return windows.some((w) => w.day === day && w.startMinute <= minute && minute < w.endMinute);
}

function cellsOf(windows: readonly WeeklyWindow[]): string[] {
  const cells = new Set<string>();
  for (const w of windows) for (let c = w.startMinute / 30; c < w.endMinute / 30; c++) cells.add(`${w.day}:${c}`);
  return [...cells].sort();
}

describe("sharing policy properties", () => {
  it("never shares while a pause is in the future, and says when it ends", () => {
    fc.assert(
      fc.property(rulesArb, signalsArb, fc.integer({ min: 1, max: 30 * DAY_MS }), (rules, signals, ahead) => {
        const decision = decideSharing({ ...rules, pausedUntil: signals.now + ahead }, signals);
        expect(decision.share).toBe(false);
        if (rules.mode !== "off") expect(decision.nextChangeAt).toBe(signals.now + ahead);
      }),
      RUNS,
    );
  });

  it("never shares on a schedule with no windows, nor with sharing off", () => {
    fc.assert(
      fc.property(rulesArb, signalsArb, (rules, signals) => {
        expect(decideSharing({ ...rules, mode: "schedule", windows: [] }, signals).share).toBe(false);
        expect(decideSharing({ ...rules, mode: "idle-in-schedule", windows: [] }, signals).share).toBe(false);
        expect(decideSharing({ ...rules, mode: "off" }, signals)).toEqual({ share: false, reason: "Off: sharing is set to off", nextChangeAt: null, pausedByOwner: false });
      }),
      RUNS,
    );
  });

  it("never shares while a game runs and the games rule is on", () => {
    fc.assert(
      fc.property(rulesArb, signalsArb, fc.string(), fc.constantFrom("steam", "launcher", "list") as fc.Arbitrary<"steam" | "launcher" | "list">, (rules, signals, name, source) => {
        expect(decideSharing({ ...rules, pauseForGames: true }, { ...signals, game: { name, source } }).share).toBe(false);
      }),
      RUNS,
    );
  });

  it("gives the same decision for the same input and leaves the input untouched", () => {
    fc.assert(
      fc.property(rulesArb, signalsArb, (rules, signals) => {
        const rulesCopy = structuredClone(rules);
        const signalsCopy = structuredClone(signals);
        const first = decideSharing(rules, signals);
        expect(decideSharing(rulesCopy, signalsCopy)).toEqual(first);
        expect(rules).toEqual(rulesCopy);
        expect(signals).toEqual(signalsCopy);
      }),
      RUNS,
    );
  });

  it("always answers with a readable sentence and a future change time", () => {
    fc.assert(
      fc.property(rulesArb, signalsArb, (rules, signals) => {
        const decision = decideSharing(rules, signals);
        expect(decision.reason).toMatch(/^[A-Z][^\n]*\S$/);
        expect(decision.reason).not.toMatch(/undefined|NaN|null|\[object/);
        if (decision.nextChangeAt !== null) expect(decision.nextChangeAt).toBeGreaterThan(signals.now);
      }),
      RUNS,
    );
  });

  it("shares only when nothing pauses and the mode allows it", () => {
    fc.assert(
      fc.property(rulesArb, signalsArb, (rules, signals) => {
        if (!decideSharing(rules, signals).share) return;
        expect(rules.mode).not.toBe("off");
        expect(signals.ownAppRunning).toBeNull();
        if (rules.pauseOnBattery) expect(signals.onBattery).not.toBe(true);
        if (rules.pauseWhenGpuBusy) expect(signals.gpuBusyBy).toBeNull();
        if (rules.mode === "idle" || rules.mode === "idle-in-schedule") expect(signals.idleSeconds).toBeGreaterThanOrEqual(rules.idleMinutes * 60);
        if (rules.mode === "schedule" || rules.mode === "idle-in-schedule") expect(openByOracle(rules.windows, signals.now, signals.timeZone)).toBe(true);
      }),
      RUNS,
    );
  });

  it("follows the windows on the owner's wall clock, and flips exactly at nextChangeAt", () => {
    fc.assert(
      fc.property(fc.array(windowArb, { minLength: 1, maxLength: 6 }), nowArb, fc.constantFrom(...ZONES), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 5 }), (windows, now, zone, samples) => {
        const rules = sharingRulesSchema.parse({ mode: "schedule", windows });
        const decision = decideSharing(rules, calm(now, zone));
        expect(decision.share).toBe(openByOracle(windows, now, zone));
        if (decision.nextChangeAt === null) return;
        const change = decision.nextChangeAt;
        expect(decideSharing(rules, calm(change, zone)).share).toBe(!decision.share);
        expect(decideSharing(rules, calm(change - 1, zone)).share).toBe(decision.share);
        for (const f of samples) {
          const between = now + Math.floor((change - now) * f);
          if (between < change) expect(openByOracle(windows, between, zone)).toBe(decision.share);
        }
      }),
      RUNS,
    );
  });

  it("turns grid-aligned windows into a grid and back without gaining or losing a cell", () => {
    fc.assert(
      fc.property(fc.array(alignedWindowArb, { maxLength: 12 }), (windows) => {
        const grid = windowsToGrid(windows);
        const back = gridToWindows(grid);
        const painted = grid.flatMap((row, day) => row.flatMap((on, cell) => (on ? [`${day}:${cell}`] : []))).sort();
        expect(painted).toEqual(cellsOf(windows));
        expect(cellsOf(back)).toEqual(cellsOf(windows));
        for (const w of back) expect(weeklyWindowSchema.safeParse(w).success).toBe(true);
        // One window per run: no two windows of a day touch or overlap.
        for (const a of back) for (const b of back) if (a !== b && a.day === b.day) expect(a.endMinute < b.startMinute || b.endMinute < a.startMinute).toBe(true);
      }),
      RUNS,
    );
  });

  it("sums up any rules in one plain sentence", () => {
    fc.assert(
      fc.property(rulesArb, (rules) => {
        const summary = scheduleSummary(rules);
        expect(summary).toMatch(/^(Shares|Never shares) [^\n]*\S$/);
        expect(summary).not.toMatch(/undefined|NaN|null|\[object/);
        const painted = rules.windows.length > 0;
        if (rules.mode === "schedule" || rules.mode === "idle-in-schedule") expect(summary.startsWith("Shares")).toBe(painted);
      }),
      RUNS,
    );
  });
});
