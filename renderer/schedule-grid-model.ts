/**
 * The Schedule grid's model: rows in reading order (Monday first) over the data's days
 * (0 = Sunday), half-hour cells, their accessible names, painting and keyboard movement.
 * The grid itself is `boolean[day][cell]`, as windowsToGrid / gridToWindows read and write it.
 */
import { clockText, WEEKDAY_NAMES, WEEKDAY_SHORT_NAMES } from "../shared/local-time";

export const CELLS_PER_DAY = 48;
const CELL_MINUTES = 30;

/** The data's day (0 = Sunday) of each displayed row: Monday first. */
export const DISPLAY_DAYS: readonly number[] = [1, 2, 3, 4, 5, 6, 0];

/** A cell by its place on screen: row (0 = Monday) and column (0 = 00:00–00:30). */
export interface GridPoint {
  readonly row: number;
  readonly col: number;
}

export type Grid = readonly (readonly boolean[])[];

/** "Monday 22:00–22:30". */
export function cellName(point: GridPoint): string {
  const day = DISPLAY_DAYS[point.row] ?? 0;
  const start = point.col * CELL_MINUTES;
  return `${WEEKDAY_NAMES[day] ?? ""} ${clockText(start)}–${clockText(start + CELL_MINUTES)}`;
}

/** "Mon". */
export function rowShortName(row: number): string {
  return WEEKDAY_SHORT_NAMES[DISPLAY_DAYS[row] ?? 0] ?? "";
}

/** Whether the cell at a screen point is on. */
export function cellOn(grid: Grid, point: GridPoint): boolean {
  return grid[DISPLAY_DAYS[point.row] ?? 0]?.[point.col] === true;
}

/** A copy of the grid with the given cells set to `value` (the same grid when nothing changes). */
export function paintCells(grid: Grid, points: readonly GridPoint[], value: boolean): boolean[][] {
  let changed = false;
  const next = grid.map((row) => [...row]);
  for (const point of points) {
    const row = next[DISPLAY_DAYS[point.row] ?? -1];
    if (row === undefined || point.col < 0 || point.col >= CELLS_PER_DAY) continue;
    if (row[point.col] !== value) {
      row[point.col] = value;
      changed = true;
    }
  }
  return changed ? next : (grid as boolean[][]);
}

/** The cells on a straight line from `from` to `to`, both included (a fast drag skips cells). */
export function cellsBetween(from: GridPoint, to: GridPoint): GridPoint[] {
  const steps = Math.max(Math.abs(to.row - from.row), Math.abs(to.col - from.col));
  const points: GridPoint[] = [];
  for (let i = 0; i <= steps; i++) {
    const t = steps === 0 ? 0 : i / steps;
    points.push({ row: Math.round(from.row + (to.row - from.row) * t), col: Math.round(from.col + (to.col - from.col) * t) });
  }
  return points;
}

/** Where a navigation key moves the focus (clamped to the grid), or null for other keys. */
export function moveFocus(point: GridPoint, key: string, ctrl = false): GridPoint | null {
  const clamp = (row: number, col: number): GridPoint => ({
    row: Math.min(DISPLAY_DAYS.length - 1, Math.max(0, row)),
    col: Math.min(CELLS_PER_DAY - 1, Math.max(0, col)),
  });
  switch (key) {
    case "ArrowLeft":
      return clamp(point.row, point.col - 1);
    case "ArrowRight":
      return clamp(point.row, point.col + 1);
    case "ArrowUp":
      return clamp(point.row - 1, point.col);
    case "ArrowDown":
      return clamp(point.row + 1, point.col);
    case "Home":
      return ctrl ? clamp(0, 0) : clamp(point.row, 0);
    case "End":
      return ctrl ? clamp(DISPLAY_DAYS.length - 1, CELLS_PER_DAY - 1) : clamp(point.row, CELLS_PER_DAY - 1);
    default:
      return null;
  }
}

/** An empty grid: 7 days of 48 cells, all off. */
export function emptyGrid(): boolean[][] {
  return Array.from({ length: 7 }, () => Array<boolean>(CELLS_PER_DAY).fill(false));
}
