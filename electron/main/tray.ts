/** The tray icon: its image, tooltip and menu follow every state the agent pushes. */
import path from "node:path";
import { Menu, Tray, nativeImage } from "electron";
import type { ControlApi, NodeState } from "../../shared/control-api";
import { trayImageFile, trayMenuTemplate, trayTooltip, type TrayActions } from "./tray-menu";

export interface TrayController {
  /** Redraws from a state (also called by the state subscription). */
  render(state: NodeState | null): void;
  destroy(): void;
}

/** Creates the tray icon and keeps it in step with the agent. */
export function createTray(options: { control: ControlApi | null; imagesDir: string; actions: TrayActions; now?: () => number }): TrayController {
  const image = (state: NodeState | null) => nativeImage.createFromPath(path.join(options.imagesDir, trayImageFile(state?.activity ?? null)));
  const tray = new Tray(image(null));
  tray.on("click", () => options.actions.openWindow());

  function render(state: NodeState | null): void {
    tray.setImage(image(state));
    tray.setToolTip(trayTooltip(state));
    tray.setContextMenu(Menu.buildFromTemplate(trayMenuTemplate(state, options.actions, options.now)));
  }

  render(null);
  const stop = options.control?.onState(render) ?? (() => {});
  return {
    render,
    destroy() {
      stop();
      tray.destroy();
    },
  };
}
