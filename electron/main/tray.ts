/**
 * The tray icon: its image, tooltip and menu follow every state the agent pushes, and its image
 * follows the OS theme (template images on macOS; light or dark drawings elsewhere, redrawn on
 * nativeTheme's "updated").
 */
import path from "node:path";
import { Menu, Tray, nativeImage, nativeTheme } from "electron";
import type { ControlApi, NodeState } from "../../shared/control-api";
import { trayImageFile } from "./tray-images";
import { trayMenuTemplate, trayTooltip, type TrayActions } from "./tray-menu";

/** What the tray shows now, for the Electron end-to-end test and debugging (Electron cannot read a tray back). */
export interface TraySnapshot {
  readonly image: string;
  readonly tooltip: string;
  readonly items: readonly { id?: string; label?: string; checked?: boolean; enabled?: boolean }[];
}

export interface TrayController {
  /** Redraws from a state (also called by the state subscription). */
  render(state: NodeState | null): void;
  snapshot(): TraySnapshot;
  destroy(): void;
}

export interface TrayOptions {
  readonly control: ControlApi | null;
  readonly imagesDir: string;
  readonly actions: TrayActions;
  readonly now?: () => number;
  /** The OS (default: this process's), for the choice of images. */
  readonly platform?: NodeJS.Platform;
}

/** Creates the tray icon and keeps it in step with the agent and the OS theme. */
export function createTray(options: TrayOptions): TrayController {
  const platform = options.platform ?? process.platform;
  const file = (state: NodeState | null) => path.join(options.imagesDir, trayImageFile(state?.activity ?? null, { platform, dark: nativeTheme.shouldUseDarkColors }));
  const image = (state: NodeState | null) => nativeImage.createFromPath(file(state));
  let last: NodeState | null = null;
  const tray = new Tray(image(null));
  tray.on("click", () => options.actions.openWindow());

  function render(state: NodeState | null): void {
    last = state;
    tray.setImage(image(state));
    tray.setToolTip(trayTooltip(state));
    tray.setContextMenu(Menu.buildFromTemplate(trayMenuTemplate(state, options.actions, options.now)));
  }
  const onTheme = () => tray.setImage(image(last));
  nativeTheme.on("updated", onTheme);

  render(null);
  const stop = options.control?.onState(render) ?? (() => {});
  return {
    render,
    snapshot: () => ({
      image: file(last),
      tooltip: trayTooltip(last),
      items: trayMenuTemplate(last, options.actions, options.now).map(({ id, label, checked, enabled }) => ({ id, label, checked, enabled })),
    }),
    destroy() {
      stop();
      nativeTheme.removeListener("updated", onTheme);
      tray.destroy();
    },
  };
}
