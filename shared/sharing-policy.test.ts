import { describe, expect, it } from "vitest";
import { decideSharing } from "./sharing-policy";
import { sharingRulesSchema, type SharingRules, type Signals, type WeeklyWindow } from "./sharing-types";

const GIB = 2 ** 30;
/** Wednesday 10 June 2026, 12:00 in Paris. */
const NOON_PARIS = Date.parse("2026-06-10T12:00:00+02:00");

function rules(overrides: Partial<SharingRules> = {}): SharingRules {
  return sharingRulesSchema.parse(overrides);
}

function signals(overrides: Partial<Signals> = {}): Signals {
  return {
    now: NOON_PARIS,
    timeZone: "Europe/Paris",
    idleSeconds: 0,
    onBattery: false,
    thermal: "nominal",
    game: null,
    processesKnown: true,
    fullscreenApp: null,
    fullscreenKnown: true,
    gpuBusyBy: null,
    gpuKnown: true,
    ownAppRunning: null,
    freeMemoryBytes: 32 * GIB,
    ...overrides,
  };
}

/** Weeknights 22:00–07:00 as the grid writes them: Mon–Fri 22:00–24:00 and Tue–Sat 00:00–07:00. */
const WEEKNIGHTS: WeeklyWindow[] = [1, 2, 3, 4, 5].flatMap((day) => [
  { day, startMinute: 22 * 60, endMinute: 1440 },
  { day: day + 1, startMinute: 0, endMinute: 7 * 60 },
]);

interface Case {
  name: string;
  rules: Partial<SharingRules>;
  signals: Partial<Signals>;
  share: boolean;
  reason: string;
  nextChangeAt?: number | null;
}

const at = (iso: string): number => Date.parse(iso);

const cases: Case[] = [
  { name: "mode off", rules: { mode: "off" }, signals: {}, share: false, reason: "Off: sharing is set to off", nextChangeAt: null },
  {
    name: "paused until later today",
    rules: { pausedUntil: at("2026-06-10T14:30:00+02:00") },
    signals: {},
    share: false,
    reason: "Paused until 14:30",
    nextChangeAt: at("2026-06-10T14:30:00+02:00"),
  },
  {
    name: "paused until tomorrow morning",
    rules: { pausedUntil: at("2026-06-11T08:00:00+02:00") },
    signals: {},
    share: false,
    reason: "Paused until tomorrow 08:00",
    nextChangeAt: at("2026-06-11T08:00:00+02:00"),
  },
  {
    name: "paused until a day this week",
    rules: { pausedUntil: at("2026-06-15T08:00:00+02:00") },
    signals: {},
    share: false,
    reason: "Paused until Monday 08:00",
  },
  {
    name: "paused for weeks",
    rules: { pausedUntil: at("2026-07-01T08:00:00+02:00") },
    signals: {},
    share: false,
    reason: "Paused until 2026-07-01 08:00",
  },
  {
    name: "pause shown in the owner's zone (New York)",
    rules: { pausedUntil: at("2026-06-10T14:30:00+02:00") },
    signals: { timeZone: "America/New_York" },
    share: false,
    reason: "Paused until 08:30",
  },
  { name: "a pause that has ended", rules: { pausedUntil: NOON_PARIS - 1 }, signals: {}, share: true, reason: "Sharing: always on" },
  { name: "a pause ending right now", rules: { pausedUntil: NOON_PARIS }, signals: {}, share: true, reason: "Sharing: always on" },
  { name: "own app", rules: { ownApps: ["Blender"] }, signals: { ownAppRunning: "Blender" }, share: false, reason: "Paused: Blender is running" },
  {
    name: "Steam game",
    rules: {},
    signals: { game: { name: "Cyberpunk 2077", source: "steam" } },
    share: false,
    reason: "Paused: Steam game running (Cyberpunk 2077)",
  },
  { name: "launcher game", rules: {}, signals: { game: { name: "Hades", source: "launcher" } }, share: false, reason: "Paused: game running (Hades)" },
  {
    name: "game with the rule off",
    rules: { pauseForGames: false },
    signals: { game: { name: "Hades", source: "list" } },
    share: true,
    reason: "Sharing: always on",
  },
  { name: "fullscreen app", rules: {}, signals: { fullscreenApp: "VLC" }, share: false, reason: "Paused: a fullscreen app is open (VLC)" },
  { name: "fullscreen with the rule off", rules: { pauseForFullscreen: false }, signals: { fullscreenApp: "VLC" }, share: true, reason: "Sharing: always on" },
  { name: "GPU busy", rules: {}, signals: { gpuBusyBy: "ffmpeg" }, share: false, reason: "Paused: another app is using the GPU (ffmpeg)" },
  { name: "GPU busy with the rule off", rules: { pauseWhenGpuBusy: false }, signals: { gpuBusyBy: "ffmpeg" }, share: true, reason: "Sharing: always on" },
  { name: "on battery", rules: {}, signals: { onBattery: true }, share: false, reason: "Paused: on battery power" },
  { name: "battery unknown", rules: {}, signals: { onBattery: null }, share: true, reason: "Sharing: always on" },
  { name: "battery with the rule off", rules: { pauseOnBattery: false }, signals: { onBattery: true }, share: true, reason: "Sharing: always on" },
  { name: "hot (serious)", rules: {}, signals: { thermal: "serious" }, share: false, reason: "Paused: the machine is hot (serious)" },
  { name: "hot (critical)", rules: {}, signals: { thermal: "critical" }, share: false, reason: "Paused: the machine is hot (critical)" },
  { name: "warm (fair)", rules: {}, signals: { thermal: "fair" }, share: true, reason: "Sharing: always on" },
  { name: "thermal unknown", rules: {}, signals: { thermal: null }, share: true, reason: "Sharing: always on" },
  { name: "hot with the rule off", rules: { pauseWhenHot: false }, signals: { thermal: "critical" }, share: true, reason: "Sharing: always on" },
  {
    name: "low memory",
    rules: { minFreeMemoryBytes: 4 * GIB },
    signals: { freeMemoryBytes: Math.round(1.2 * GIB) },
    share: false,
    reason: "Paused: only 1.2 GB of memory free (keeps 4 GB for you)",
  },
  {
    name: "very low memory",
    rules: { minFreeMemoryBytes: 16 * GIB },
    signals: { freeMemoryBytes: 512 * 2 ** 20 },
    share: false,
    reason: "Paused: only 512 MB of memory free (keeps 16 GB for you)",
  },
  {
    name: "just short of the minimum never reads as enough",
    rules: { minFreeMemoryBytes: 4 * GIB },
    signals: { freeMemoryBytes: 4 * GIB - 1 },
    share: false,
    reason: "Paused: only 3.9 GB of memory free (keeps 4 GB for you)",
  },
  { name: "memory unknown", rules: { minFreeMemoryBytes: 4 * GIB }, signals: { freeMemoryBytes: null }, share: true, reason: "Sharing: always on" },
  { name: "no memory rule", rules: { minFreeMemoryBytes: 0 }, signals: { freeMemoryBytes: 1 }, share: true, reason: "Sharing: always on" },
  { name: "always", rules: { mode: "always" }, signals: {}, share: true, reason: "Sharing: always on", nextChangeAt: null },
  { name: "idle: away", rules: { mode: "idle", idleMinutes: 10 }, signals: { idleSeconds: 725 }, share: true, reason: "Sharing: you have been away 12 minutes", nextChangeAt: null },
  { name: "idle: away exactly the threshold", rules: { mode: "idle", idleMinutes: 10 }, signals: { idleSeconds: 600 }, share: true, reason: "Sharing: you have been away 10 minutes" },
  { name: "idle: away over an hour", rules: { mode: "idle", idleMinutes: 10 }, signals: { idleSeconds: 3900 }, share: true, reason: "Sharing: you have been away 1 hour 5 minutes" },
  {
    name: "idle: active recently",
    rules: { mode: "idle", idleMinutes: 10 },
    signals: { idleSeconds: 130 },
    share: false,
    reason: "Waiting: you were active 2 minutes ago (starts after 10)",
  },
  { name: "idle: one minute", rules: { mode: "idle", idleMinutes: 10 }, signals: { idleSeconds: 61 }, share: false, reason: "Waiting: you were active 1 minute ago (starts after 10)" },
  { name: "idle: active now", rules: { mode: "idle", idleMinutes: 10 }, signals: { idleSeconds: 3 }, share: false, reason: "Waiting: you were active just now (starts after 10)" },
  {
    name: "idle: not available",
    rules: { mode: "idle" },
    signals: { idleSeconds: null },
    share: false,
    reason: "Waiting: idle time is not available on this machine; choose Always or a schedule",
    nextChangeAt: null,
  },
  {
    name: "schedule: closed, opens tonight",
    rules: { mode: "schedule", windows: WEEKNIGHTS },
    signals: {},
    share: false,
    reason: "Off until 22:00 (schedule)",
    nextChangeAt: at("2026-06-10T22:00:00+02:00"),
  },
  {
    name: "schedule: open overnight",
    rules: { mode: "schedule", windows: WEEKNIGHTS },
    signals: { now: at("2026-06-10T23:15:00+02:00") },
    share: true,
    reason: "Sharing until 07:00 (schedule)",
    nextChangeAt: at("2026-06-11T07:00:00+02:00"),
  },
  {
    name: "schedule: closed for the weekend",
    rules: { mode: "schedule", windows: WEEKNIGHTS },
    signals: { now: at("2026-06-13T12:00:00+02:00") },
    share: false,
    reason: "Off until Monday 22:00 (schedule)",
    nextChangeAt: at("2026-06-15T22:00:00+02:00"),
  },
  { name: "schedule: nothing painted", rules: { mode: "schedule", windows: [] }, signals: {}, share: false, reason: "Off: no sharing hours are painted in the schedule", nextChangeAt: null },
  {
    name: "schedule: every hour painted",
    rules: { mode: "schedule", windows: [0, 1, 2, 3, 4, 5, 6].map((day) => ({ day, startMinute: 0, endMinute: 1440 })) },
    signals: {},
    share: true,
    reason: "Sharing: the schedule covers every hour",
    nextChangeAt: null,
  },
  {
    name: "schedule: unknown time zone",
    rules: { mode: "schedule", windows: WEEKNIGHTS },
    signals: { timeZone: "Mars/Olympus_Mons" },
    share: false,
    reason: 'Off: the time zone "Mars/Olympus_Mons" is not known here, so the schedule cannot be read',
  },
  {
    name: "idle in schedule: outside the hours",
    rules: { mode: "idle-in-schedule", windows: WEEKNIGHTS },
    signals: { idleSeconds: 5000 },
    share: false,
    reason: "Off until 22:00 (schedule)",
    nextChangeAt: at("2026-06-10T22:00:00+02:00"),
  },
  {
    name: "idle in schedule: inside and away",
    rules: { mode: "idle-in-schedule", windows: WEEKNIGHTS, idleMinutes: 10 },
    signals: { now: at("2026-06-10T23:15:00+02:00"), idleSeconds: 725 },
    share: true,
    reason: "Sharing until 07:00 (schedule; you have been away 12 minutes)",
    nextChangeAt: at("2026-06-11T07:00:00+02:00"),
  },
  {
    name: "idle in schedule: inside but active",
    rules: { mode: "idle-in-schedule", windows: WEEKNIGHTS, idleMinutes: 10 },
    signals: { now: at("2026-06-10T23:15:00+02:00"), idleSeconds: 130 },
    share: false,
    reason: "Waiting: you were active 2 minutes ago (starts after 10; schedule open until 07:00)",
  },
  {
    name: "idle in schedule: idle time not available",
    rules: { mode: "idle-in-schedule", windows: WEEKNIGHTS },
    signals: { now: at("2026-06-10T23:15:00+02:00"), idleSeconds: null },
    share: false,
    reason: "Waiting: idle time is not available on this machine; choose Always or a schedule",
  },
  { name: "idle in schedule: nothing painted", rules: { mode: "idle-in-schedule", windows: [] }, signals: { idleSeconds: 5000 }, share: false, reason: "Off: no sharing hours are painted in the schedule" },
];

describe("decideSharing: every reason", () => {
  it.each(cases)("$name", (c) => {
    const decision = decideSharing(rules(c.rules), signals(c.signals));
    expect(decision.reason).toBe(c.reason);
    expect(decision.share).toBe(c.share);
    if (c.nextChangeAt !== undefined) expect(decision.nextChangeAt).toBe(c.nextChangeAt);
    // Only the owner's own pause is one that Resume ends.
    expect(decision.pausedByOwner).toBe(c.reason.startsWith("Paused until"));
  });

  it("keeps odd process names to one readable line", () => {
    const long = `Some\nGame   ${"x".repeat(200)}`;
    const { reason } = decideSharing(rules(), signals({ game: { name: long, source: "list" } }));
    expect(reason.startsWith("Paused: game running (Some Game xxx")).toBe(true);
    expect(reason).not.toContain("\n");
    expect(reason.length).toBeLessThan(120);
    expect(decideSharing(rules(), signals({ game: { name: "  ", source: "list" } })).reason).toBe("Paused: game running");
  });
});

describe("decideSharing: precedence", () => {
  /** Every reason to stop at once, in the order they must win; each step removes the winner. */
  const steps: { reason: string; remove: (r: SharingRules, s: Signals) => void }[] = [
    { reason: "Off: sharing is set to off", remove: (r) => (r.mode = "idle") },
    { reason: "Paused until 14:30", remove: (r) => (r.pausedUntil = null) },
    { reason: "Paused: Blender is running", remove: (_r, s) => (s.ownAppRunning = null) },
    { reason: "Paused: Steam game running (Cyberpunk 2077)", remove: (_r, s) => (s.game = null) },
    { reason: "Paused: a fullscreen app is open (VLC)", remove: (_r, s) => (s.fullscreenApp = null) },
    { reason: "Paused: another app is using the GPU (ffmpeg)", remove: (_r, s) => (s.gpuBusyBy = null) },
    { reason: "Paused: on battery power", remove: (_r, s) => (s.onBattery = false) },
    { reason: "Paused: the machine is hot (critical)", remove: (_r, s) => (s.thermal = "nominal") },
    { reason: "Paused: only 1 GB of memory free (keeps 4 GB for you)", remove: (_r, s) => (s.freeMemoryBytes = 8 * GIB) },
    { reason: "Waiting: you were active 2 minutes ago (starts after 10)", remove: (_r, s) => (s.idleSeconds = 660) },
    { reason: "Sharing: you have been away 11 minutes", remove: () => undefined },
  ];

  it("lets the first rule that applies win, in the documented order", () => {
    const r = rules({ mode: "off", pausedUntil: at("2026-06-10T14:30:00+02:00"), minFreeMemoryBytes: 4 * GIB, idleMinutes: 10 });
    const s = signals({
      ownAppRunning: "Blender",
      game: { name: "Cyberpunk 2077", source: "steam" },
      fullscreenApp: "VLC",
      gpuBusyBy: "ffmpeg",
      onBattery: true,
      thermal: "critical",
      freeMemoryBytes: GIB,
      idleSeconds: 130,
    });
    const seen: string[] = [];
    for (const step of steps) {
      seen.push(decideSharing(r, s).reason);
      step.remove(r, s);
    }
    expect(seen).toEqual(steps.map((step) => step.reason));
    expect(decideSharing(r, s).share).toBe(true);
  });
});
