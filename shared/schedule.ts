/**
 * Weekly sharing windows: which minutes of the owner's local week they cover, whether one is open
 * at an instant, when that changes next (DST-safe), and the half-hour grid the Schedule screen
 * paints.
 */
import { MINUTE_MS, type ZoneClock } from "./local-time";
import type { WeeklyWindow } from "./sharing-types";

export const MINUTES_PER_DAY = 1440;
export const MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY;
/** Half-hour cells per day in the schedule grid. */
export const CELLS_PER_DAY = 48;
const CELL_MINUTES = MINUTES_PER_DAY / CELLS_PER_DAY;

/** The minutes of the week (0 = Sunday 00:00) some window covers, and where coverage flips. */
export interface WeekCoverage {
  /** One entry per minute of the week: 1 when a window covers it. */
  readonly minutes: Uint8Array;
  /** Minutes of the week where coverage differs from the minute before (cyclically), ascending. */
  readonly edges: readonly number[];
}

/** What the schedule says at one instant. */
export interface ScheduleState {
  readonly open: boolean;
  /** When the schedule opens or closes next (epoch ms), or null if it never does. */
  readonly nextChangeAt: number | null;
}

/** The minutes of the local week the windows cover (overlaps merge; out-of-range parts are ignored). */
export function weekCoverage(windows: readonly WeeklyWindow[]): WeekCoverage {
  const minutes = new Uint8Array(MINUTES_PER_WEEK);
  for (const w of windows) {
    if (!Number.isInteger(w.day) || w.day < 0 || w.day > 6) continue;
    const start = Math.max(0, Math.ceil(w.startMinute));
    const end = Math.min(MINUTES_PER_DAY, Math.floor(w.endMinute));
    if (!(end > start)) continue;
    minutes.fill(1, w.day * MINUTES_PER_DAY + start, w.day * MINUTES_PER_DAY + end);
  }
  const edges: number[] = [];
  for (let m = 0; m < MINUTES_PER_WEEK; m++) {
    if (minutes[m] !== minutes[(m + MINUTES_PER_WEEK - 1) % MINUTES_PER_WEEK]) edges.push(m);
  }
  return { minutes, edges };
}

/**
 * Whether the schedule is open at `now` and when it next opens or closes.
 *
 * Stateless: a window already open at `now` counts. Local time comes from the clock's zone; a
 * window whose start time does not exist that day (spring forward) opens at the first minute that
 * does, and a repeated hour (fall back) is judged by the wall clock each time it passes.
 * Returns null when `now` cannot be read as a date.
 */
export function scheduleStateAt(coverage: WeekCoverage, clock: ZoneClock, now: number): ScheduleState | null {
  const local = clock.at(now);
  if (!local) return null;
  const open = isCovered(coverage, local.weekMs);
  if (coverage.edges.length === 0) return { open, nextChangeAt: null };
  let from = now;
  let reading = local;
  // Each pass either finds the change or steps over one UTC-offset change; a week holds at most a few.
  for (let pass = 0; pass < 8; pass++) {
    const edgeAt = from + msUntilNextEdge(coverage.edges, reading.weekMs);
    const atEdge = clock.at(edgeAt);
    if (!atEdge) return { open, nextChangeAt: null };
    if (atEdge.offsetMs === reading.offsetMs) return { open, nextChangeAt: edgeAt };
    // The wall clock jumps before it reaches the edge: look at the instant it jumps.
    const jumpAt = firstOffsetChange(clock, from, edgeAt, reading.offsetMs);
    const atJump = jumpAt === null ? null : clock.at(jumpAt);
    if (jumpAt === null || !atJump) return { open, nextChangeAt: edgeAt };
    if (isCovered(coverage, atJump.weekMs) !== open) return { open, nextChangeAt: jumpAt };
    from = jumpAt;
    reading = atJump;
  }
  return { open, nextChangeAt: null };
}

function isCovered(coverage: WeekCoverage, weekMs: number): boolean {
  return coverage.minutes[Math.floor(weekMs / MINUTE_MS) % MINUTES_PER_WEEK] === 1;
}

/** Milliseconds of wall-clock time from `weekMs` to the next edge strictly after its minute. */
function msUntilNextEdge(edges: readonly number[], weekMs: number): number {
  const minute = Math.floor(weekMs / MINUTE_MS);
  const next = edges.find((edge) => edge > minute) ?? (edges[0] ?? 0) + MINUTES_PER_WEEK;
  return next * MINUTE_MS - weekMs;
}

/** The first whole minute in (from, to] whose UTC offset differs from `offsetMs` (binary search). */
function firstOffsetChange(clock: ZoneClock, from: number, to: number, offsetMs: number): number | null {
  let low = Math.floor(from / MINUTE_MS); // offset known to equal offsetMs here
  let high = Math.ceil(to / MINUTE_MS);
  const differs = (minute: number): boolean => clock.at(minute * MINUTE_MS)?.offsetMs !== offsetMs;
  if (!differs(high)) return null;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (differs(middle)) high = middle;
    else low = middle;
  }
  return high * MINUTE_MS;
}

/** The schedule grid: 7 days (0 = Sunday) × 48 half-hour cells; a cell is on if any window touches it. */
export function windowsToGrid(windows: readonly WeeklyWindow[]): boolean[][] {
  const { minutes } = weekCoverage(windows);
  return Array.from({ length: 7 }, (_, day) =>
    Array.from({ length: CELLS_PER_DAY }, (_, cell) => {
      const start = day * MINUTES_PER_DAY + cell * CELL_MINUTES;
      return minutes.subarray(start, start + CELL_MINUTES).includes(1);
    }),
  );
}

/** Windows from a painted grid: one window per run of cells per day; a run to midnight ends at 1440. */
export function gridToWindows(grid: readonly (readonly boolean[])[]): WeeklyWindow[] {
  const windows: WeeklyWindow[] = [];
  for (let day = 0; day < 7; day++) {
    const row = grid[day] ?? [];
    let runStart: number | null = null;
    for (let cell = 0; cell <= CELLS_PER_DAY; cell++) {
      const on = cell < CELLS_PER_DAY && row[cell] === true;
      if (on && runStart === null) runStart = cell;
      if (!on && runStart !== null) {
        windows.push({ day, startMinute: runStart * CELL_MINUTES, endMinute: cell * CELL_MINUTES });
        runStart = null;
      }
    }
  }
  return windows;
}
