/**
 * The tray's menu, icon and tooltip as pure functions of the node's state, so they can be tested
 * without Electron. The shell turns the template into a native menu.
 */
import type { MenuItemConstructorOptions } from "electron";
import type { NodeActivity, NodeState } from "../../shared/control-api";
import { formatUsd } from "../../shared/money";

/** What the menu's items do; the shell wires them to the agent and the window. */
export interface TrayActions {
  setSharing(on: boolean): void;
  openWindow(): void;
  quit(): void;
}

/** File name (in resources/tray) of the tray image for an activity. */
export function trayImageFile(activity: NodeActivity | null): string {
  return `tray-${activity ?? "connecting"}.png`;
}

/** The tooltip shown when hovering the tray icon. */
export function trayTooltip(state: NodeState | null): string {
  return state === null ? "Offpeak: starting" : `Offpeak: ${state.reason}`;
}

/** The tray menu for a state (null while the agent is starting). */
export function trayMenuTemplate(state: NodeState | null, actions: TrayActions): MenuItemConstructorOptions[] {
  const status: MenuItemConstructorOptions = {
    id: "status",
    label: state === null ? "Starting…" : state.reason,
    enabled: false,
  };
  const share: MenuItemConstructorOptions = {
    id: "share",
    label: "Share this machine",
    type: "checkbox",
    checked: state?.sharing ?? false,
    enabled: state !== null,
    // The checkbox has already flipped when click runs; ask the agent for the new value.
    click: () => actions.setSharing(!(state?.sharing ?? false)),
  };
  const today: MenuItemConstructorOptions = {
    id: "today",
    label: `Today: ${formatUsd(state?.earnings.todayMicroUsd ?? 0)}`,
    enabled: false,
  };
  return [
    status,
    { type: "separator" },
    share,
    today,
    { type: "separator" },
    { id: "open", label: "Open Offpeak", click: () => actions.openWindow() },
    { id: "quit", label: "Quit Offpeak", click: () => actions.quit() },
  ];
}
