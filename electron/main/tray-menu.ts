/**
 * The tray's menu, icon and tooltip as pure functions of the node's state, so they can be tested
 * without Electron. The shell turns the template into a native menu.
 */
import type { MenuItemConstructorOptions } from "electron";
import type { NodeState } from "../../shared/control-api";
import { formatUsd } from "../../shared/money";
import { isPausedByOwner, oneHourFrom, tomorrowMorning } from "../../shared/pause-times";

/** What the menu's items do; the shell wires them to the agent and the window. */
export interface TrayActions {
  setSharing(on: boolean): void;
  /** Pauses sharing until `until` (epoch ms). */
  pause(until: number): void;
  resume(): void;
  openWindow(): void;
  quit(): void;
}

/**
 * The state and the sharing rules' reason in one line: "Ready: waiting for jobs · Sharing: always
 * allowed". The rules' reason is left out when the state already says it, or sharing is off.
 */
export function trayStatusLine(state: NodeState | null): string {
  if (state === null) return "Starting…";
  const rules = state.decision.reason;
  if (!state.sharing || rules === "" || state.reason.toLowerCase().includes(rules.toLowerCase())) return state.reason;
  return `${state.reason} · ${rules}`;
}

/** The tooltip shown when hovering the tray icon. */
export function trayTooltip(state: NodeState | null): string {
  return state === null ? "Offpeak: starting" : `Offpeak: ${trayStatusLine(state)}`;
}

/** The tray menu for a state (null while the agent is starting); `now` is read when an item is clicked. */
export function trayMenuTemplate(state: NodeState | null, actions: TrayActions, now: () => number = Date.now): MenuItemConstructorOptions[] {
  const status: MenuItemConstructorOptions = { id: "status", label: trayStatusLine(state), enabled: false };
  const share: MenuItemConstructorOptions = {
    id: "share",
    label: "Share this machine",
    type: "checkbox",
    checked: state?.sharing ?? false,
    enabled: state !== null,
    // The checkbox has already flipped when click runs; ask the agent for the new value.
    click: () => actions.setSharing(!(state?.sharing ?? false)),
  };
  const paused = state !== null && isPausedByOwner(state);
  const pauses: MenuItemConstructorOptions[] = [
    { id: "pause-hour", label: "Pause for 1 hour", enabled: state !== null, click: () => actions.pause(oneHourFrom(now())) },
    { id: "pause-tomorrow", label: "Pause until tomorrow", enabled: state !== null, click: () => actions.pause(tomorrowMorning(now())) },
    ...(paused ? [{ id: "resume", label: "Resume", click: () => actions.resume() }] : []),
  ];
  const today: MenuItemConstructorOptions = {
    id: "today",
    label: `Today: ${formatUsd(state?.earnings.todayMicroUsd ?? 0)}`,
    enabled: false,
  };
  return [
    status,
    { type: "separator" },
    share,
    ...pauses,
    today,
    { type: "separator" },
    { id: "open", label: "Open Offpeak", click: () => actions.openWindow() },
    { id: "quit", label: "Quit Offpeak", click: () => actions.quit() },
  ];
}
