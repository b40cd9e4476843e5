/**
 * The weekly schedule grid the owner paints: 7 rows (Monday first) × 48 half-hour cells.
 * Pointer: press a cell to start a stroke (an off cell paints on, an on cell erases) and drag;
 * works with mouse, pen and touch. Keyboard: arrows move, Space/Enter toggles, Shift+arrow
 * paints along. An ARIA grid with one focusable cell at a time.
 */
import { useEffect, useRef, useState, type KeyboardEvent, type PointerEvent } from "react";
import { CELLS_PER_DAY, DISPLAY_DAYS, cellName, cellOn, cellsBetween, moveFocus, rowShortName, type Grid, type GridPoint } from "../schedule-grid-model";

interface Stroke {
  readonly pointerId: number;
  readonly value: boolean;
  last: GridPoint;
}

const HOUR_MARKS = [0, 3, 6, 9, 12, 15, 18, 21];

/** The cell an element belongs to, from its data attributes. */
function pointOf(element: Element | null): GridPoint | null {
  const cell = element?.closest<HTMLElement>("[data-col]");
  if (!cell) return null;
  const row = Number(cell.dataset.row);
  const col = Number(cell.dataset.col);
  return Number.isInteger(row) && Number.isInteger(col) ? { row, col } : null;
}

export function ScheduleGrid(props: {
  grid: Grid;
  /** Sets these cells to `value`. */
  onPaint(points: readonly GridPoint[], value: boolean): void;
  disabled: boolean;
  describedBy?: string;
}) {
  const { grid, onPaint, disabled } = props;
  const [focus, setFocus] = useState<GridPoint>({ row: 0, col: 36 });
  const cells = useRef(new Map<string, HTMLDivElement>());
  const gridRef = useRef<HTMLDivElement>(null);
  const stroke = useRef<Stroke | null>(null);
  /** The value Shift+arrow paints with, once a keyboard stroke started (null: none yet). */
  const keyValue = useRef<boolean | null>(null);
  const moveDomFocus = useRef(false);

  useEffect(() => {
    if (!moveDomFocus.current) return;
    moveDomFocus.current = false;
    cells.current.get(`${focus.row}:${focus.col}`)?.focus();
  }, [focus]);

  function focusCell(point: GridPoint): void {
    moveDomFocus.current = true;
    setFocus(point);
  }

  function onPointerDown(event: PointerEvent<HTMLDivElement>): void {
    if (disabled || (event.pointerType === "mouse" && event.button !== 0)) return;
    const point = pointOf(event.target as Element);
    if (point === null) return;
    // No text selection or native drag while painting; the pressed cell takes the focus.
    event.preventDefault();
    const value = !cellOn(grid, point);
    stroke.current = { pointerId: event.pointerId, value, last: point };
    keyValue.current = value;
    gridRef.current?.setPointerCapture?.(event.pointerId);
    onPaint([point], value);
    focusCell(point);
  }

  function onPointerMove(event: PointerEvent<HTMLDivElement>): void {
    const current = stroke.current;
    if (current === null || current.pointerId !== event.pointerId) return;
    // With the pointer captured (and for touch), the target is the grid: find the cell under the point.
    const point = pointOf(document.elementFromPoint(event.clientX, event.clientY));
    if (point === null || (point.row === current.last.row && point.col === current.last.col)) return;
    onPaint(cellsBetween(current.last, point), current.value);
    current.last = point;
  }

  function endStroke(event: PointerEvent<HTMLDivElement>): void {
    if (stroke.current?.pointerId !== event.pointerId) return;
    stroke.current = null;
    if (gridRef.current?.hasPointerCapture?.(event.pointerId)) gridRef.current.releasePointerCapture(event.pointerId);
  }

  function onKeyDown(event: KeyboardEvent<HTMLDivElement>): void {
    if (disabled) return;
    const from = pointOf(event.target as Element) ?? focus;
    if (event.key === " " || event.key === "Enter") {
      event.preventDefault();
      const value = !cellOn(grid, from);
      keyValue.current = value;
      onPaint([from], value);
      return;
    }
    const to = moveFocus(from, event.key, event.ctrlKey || event.metaKey);
    if (to === null) return;
    event.preventDefault();
    if (event.shiftKey) {
      // The first Shift+arrow of a stroke starts it like a press on the cell it leaves.
      const value = keyValue.current ?? !cellOn(grid, from);
      keyValue.current = value;
      onPaint(cellsBetween(from, to), value);
    } else {
      keyValue.current = null;
    }
    focusCell(to);
  }

  return (
    <div className="schedule-grid-wrap">
      <div className="schedule-hours" aria-hidden="true">
        <span />
        {HOUR_MARKS.map((hour) => (
          <span key={hour} style={{ gridColumn: `${hour * 2 + 2} / span 6` }}>
            {String(hour).padStart(2, "0")}:00
          </span>
        ))}
      </div>
      <div
        ref={gridRef}
        role="grid"
        aria-label="Weekly sharing hours"
        aria-multiselectable="true"
        aria-describedby={props.describedBy}
        aria-disabled={disabled || undefined}
        className={disabled ? "schedule-grid disabled" : "schedule-grid"}
        data-testid="schedule-grid"
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={endStroke}
        onPointerCancel={endStroke}
        onLostPointerCapture={endStroke}
        onKeyDown={onKeyDown}
      >
        {DISPLAY_DAYS.map((_day, row) => (
          <div key={row} role="row" className="schedule-row">
            <span role="rowheader" className="schedule-day">
              {rowShortName(row)}
            </span>
            {Array.from({ length: CELLS_PER_DAY }, (_, col) => {
              const point = { row, col };
              const on = cellOn(grid, point);
              const focused = focus.row === row && focus.col === col;
              return (
                <div
                  key={col}
                  ref={(element) => {
                    if (element) cells.current.set(`${row}:${col}`, element);
                    else cells.current.delete(`${row}:${col}`);
                  }}
                  role="gridcell"
                  aria-selected={on}
                  aria-label={cellName(point)}
                  tabIndex={focused ? 0 : -1}
                  data-row={row}
                  data-col={col}
                  className={`schedule-cell${on ? " on" : ""}${col % 2 === 0 ? " hour" : ""}${col % 12 === 0 ? " quarter" : ""}`}
                  onFocus={() => {
                    if (!focused) setFocus(point);
                  }}
                />
              );
            })}
          </div>
        ))}
      </div>
    </div>
  );
}
