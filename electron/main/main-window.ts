/**
 * The Offpeak window: isolated, sandboxed, no Node in the page, no navigation away from the app,
 * no new windows. Closing it hides it to the tray; only quitting the app destroys it.
 */
import { BrowserWindow } from "electron";

export interface MainWindowOptions {
  readonly preloadPath: string;
  /** dist/renderer/index.html */
  readonly indexFile: string;
  /** True once the owner chose Quit: then closing really closes. */
  readonly isQuitting: () => boolean;
  /** Started at login: the page loads, the window waits for the owner to open it from the tray. */
  readonly startHidden?: boolean;
}

/** Creates the window (hidden until its page is ready) and loads the renderer. */
export function createMainWindow(options: MainWindowOptions): BrowserWindow {
  const window = new BrowserWindow({
    width: 1000,
    height: 720,
    minWidth: 420,
    minHeight: 480,
    show: false,
    title: "Offpeak",
    webPreferences: {
      preload: options.preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });

  window.webContents.on("will-navigate", (event) => event.preventDefault());
  window.webContents.on("will-redirect", (event) => event.preventDefault());
  window.webContents.setWindowOpenHandler(() => ({ action: "deny" }));

  window.on("close", (event) => {
    if (options.isQuitting()) return;
    event.preventDefault();
    window.hide();
  });
  if (options.startHidden !== true) window.once("ready-to-show", () => window.show());

  void window.loadFile(options.indexFile);
  return window;
}

/** Brings the window to the front, restoring it if minimised. */
export function showWindow(window: BrowserWindow): void {
  if (window.isMinimized()) window.restore();
  window.show();
  window.focus();
}
