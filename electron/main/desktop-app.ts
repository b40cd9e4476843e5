/**
 * The desktop app's lifecycle: one instance only, the agent started once Electron is ready, a
 * tray that mirrors the node's state, a window that hides on close, the IPC bridge, and a clean
 * agent stop on quit.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { app, ipcMain, powerSaveBlocker, systemPreferences, type BrowserWindow } from "electron";
import type { ControlApi } from "../../shared/control-api";
import { silentLogger, type Logger } from "../../shared/logger";
import { isOwnWindowSender, registerControlIpc } from "./ipc";
import { createMainWindow, showWindow } from "./main-window";
import { createKeepAwake, keepAwakeWhileWorking } from "./keep-awake";
import { createTray, type TrayController } from "./tray";
import { startDesktopServices, type DesktopServicesOptions } from "./desktop-services";
import { guardWalletSecrets, touchIdCheck } from "./wallet-guard";

/** What the app needs from the agent (startLocalNetwork's result fits). */
export interface DesktopAgent {
  readonly control: ControlApi;
  stop(): Promise<void>;
}

export interface DesktopAppOptions {
  readonly startAgent: () => Promise<DesktopAgent>;
  readonly preloadPath: string;
  /** dist/renderer/index.html */
  readonly indexFile: string;
  /** resources/tray */
  readonly trayImagesDir: string;
  readonly logger?: Logger;
  /** The clock the tray's pause items read (epoch ms). */
  readonly now?: () => number;
  /** Settings, logs, updates, notifications (desktop-services.ts). */
  readonly services?: DesktopServicesOptions;
  /** The OS, for the tray's images (default: this process's). */
  readonly platform?: NodeJS.Platform;
}

export interface DesktopApp {
  readonly window: BrowserWindow;
  readonly tray: TrayController;
  readonly agent: DesktopAgent;
}

/** Starts the app; resolves to null when another instance already runs (this one quits). */
export async function startDesktopApp(options: DesktopAppOptions): Promise<DesktopApp | null> {
  const logger = options.logger ?? silentLogger;
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return null;
  }

  let quitting = false;
  let window: BrowserWindow | null = null;
  app.on("second-instance", () => {
    if (window !== null) showWindow(window);
  });
  app.on("before-quit", () => {
    quitting = true;
  });
  // A tray app keeps running with no window open.
  app.on("window-all-closed", () => {});

  await app.whenReady();
  const agent = await options.startAgent();
  const pageUrl = pathToFileURL(path.resolve(options.indexFile)).href;
  const services = startDesktopServices(agent.control, options.services ?? {}, logger);

  window = createMainWindow({
    preloadPath: options.preloadPath,
    indexFile: options.indexFile,
    isQuitting: () => quitting,
    startHidden: services.startHidden,
  });
  const own = window;
  const stopIpc = registerControlIpc({
    ipcMain,
    // Read lazily: systemPreferences is only needed when the owner asks for the phrase.
    control: guardWalletSecrets(services.control, touchIdCheck(() => systemPreferences)),
    isTrustedSender: (event) => isOwnWindowSender(event, { webContentsId: own.isDestroyed() ? null : own.webContents.id, pageUrl }),
    target: () => (own.isDestroyed() ? null : own.webContents),
    logger,
  });

  const tray = createTray({
    control: agent.control,
    imagesDir: options.trayImagesDir,
    platform: options.platform,
    now: options.now ?? Date.now,
    actions: {
      setSharing: (on) => {
        void agent.control.setSharing(on).then((result) => {
          if (!result.ok) logger.warn("tray could not switch sharing", { error: result.error });
        });
      },
      pause: (until) => {
        void agent.control.pause(until).then((result) => {
          if (!result.ok) logger.warn("tray could not pause sharing", { error: result.error });
        });
      },
      resume: () => {
        void agent.control.resume().then((result) => {
          if (!result.ok) logger.warn("tray could not resume sharing", { error: result.error });
        });
      },
      openWindow: () => showWindow(own),
      quit: () => app.quit(),
    },
  });
  // The machine stays awake while a job runs, and only then.
  const stopKeepAwake = keepAwakeWhileWorking(agent.control, createKeepAwake(powerSaveBlocker));
  const first = await agent.control.getState();
  if (first.ok) tray.render(first.value);

  let stopped = false;
  app.on("will-quit", (event) => {
    if (stopped) return;
    event.preventDefault();
    stopped = true;
    stopIpc();
    stopKeepAwake();
    services.stop();
    tray.destroy();
    agent
      .stop()
      .catch((error: unknown) => logger.error("agent did not stop cleanly", { error: String(error) }))
      .finally(() => app.quit());
  });

  return { window: own, tray, agent };
}
