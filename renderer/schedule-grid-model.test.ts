import { describe, expect, it } from "vitest";
import { gridToWindows, windowsToGrid } from "../shared/sharing-policy";
import { cellName, cellOn, cellsBetween, emptyGrid, moveFocus, paintCells } from "./schedule-grid-model";

describe("schedule grid model", () => {
  it("shows Monday first while the data's day 0 is Sunday", () => {
    expect(cellName({ row: 0, col: 44 })).toBe("Monday 22:00–22:30");
    expect(cellName({ row: 6, col: 0 })).toBe("Sunday 00:00–00:30");
    expect(cellName({ row: 4, col: 47 })).toBe("Friday 23:30–24:00");
    const grid = paintCells(emptyGrid(), [{ row: 6, col: 0 }, { row: 0, col: 44 }], true);
    expect(gridToWindows(grid)).toEqual([
      { day: 0, startMinute: 0, endMinute: 30 },
      { day: 1, startMinute: 1320, endMinute: 1350 },
    ]);
    expect(cellOn(windowsToGrid([{ day: 1, startMinute: 1320, endMinute: 1440 }]), { row: 0, col: 47 })).toBe(true);
  });

  it("paints every cell on the line of a fast drag and keeps the grid when nothing changes", () => {
    expect(cellsBetween({ row: 0, col: 2 }, { row: 0, col: 6 }).map((p) => p.col)).toEqual([2, 3, 4, 5, 6]);
    expect(cellsBetween({ row: 0, col: 0 }, { row: 2, col: 1 })).toHaveLength(3);
    const grid = emptyGrid();
    expect(paintCells(grid, [{ row: 1, col: 1 }], false)).toBe(grid);
    const painted = paintCells(grid, cellsBetween({ row: 0, col: 44 }, { row: 0, col: 47 }), true);
    expect(gridToWindows(painted)).toEqual([{ day: 1, startMinute: 1320, endMinute: 1440 }]);
    expect(grid[1]?.[44]).toBe(false);
  });

  it("moves the focus with the arrow keys, Home and End, and stops at the edges", () => {
    expect(moveFocus({ row: 0, col: 0 }, "ArrowLeft")).toEqual({ row: 0, col: 0 });
    expect(moveFocus({ row: 0, col: 0 }, "ArrowDown")).toEqual({ row: 1, col: 0 });
    expect(moveFocus({ row: 6, col: 10 }, "ArrowDown")).toEqual({ row: 6, col: 10 });
    expect(moveFocus({ row: 3, col: 10 }, "End")).toEqual({ row: 3, col: 47 });
    expect(moveFocus({ row: 3, col: 10 }, "Home", true)).toEqual({ row: 0, col: 0 });
    expect(moveFocus({ row: 3, col: 10 }, "a")).toBeNull();
  });
});
