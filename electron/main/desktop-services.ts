/**
 * What the desktop app adds around the agent, started once Electron is ready: the web-content
 * lockdown, the owner's desktop preferences applied (start at login), notifications, automatic
 * updates, and the log methods of ControlApi. Each part is its own module; this one wires them.
 */
import { app, session, shell } from "electron";
import type { ControlApi } from "../../shared/control-api";
import type { Logger } from "../../shared/logger";
import { DEFAULT_SETTINGS } from "../../shared/settings";
import { startAutoUpdate, type UpdaterLike } from "./auto-update";
import { createDesktopLogs, withDesktopLogs } from "./desktop-logs";
import { followDesktopSettings, type SettingsSource } from "./desktop-settings";
import { setLaunchAtLogin, startedAtLogin } from "./launch-at-login";
import { showNotice, startNotifier } from "./notifier";
import { denyAllPermissions, guardAllWebContents } from "./security";

export interface DesktopServicesOptions {
  /** The agent's settings store (launch at login, notifications, update feed). */
  readonly settings?: SettingsSource;
  /** The log folder (data folder/logs); without it the log methods answer headless-style. */
  readonly logDir?: string;
  /** Where "Export logs" writes (default: the Downloads folder). */
  readonly exportDir?: () => string;
  /** electron-updater's autoUpdater (absent: no updates). */
  readonly updater?: UpdaterLike;
  readonly platform?: NodeJS.Platform;
  readonly argv?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** What a Linux start at login runs (default: the AppImage, else this executable). */
  readonly executable?: string;
}

export interface DesktopServices {
  /** The agent's ControlApi with the desktop's log methods. */
  readonly control: ControlApi;
  /** True when this run began at login: the window stays hidden until the owner opens it. */
  readonly startHidden: boolean;
  stop(): void;
}

/** Starts the services; call after `app.whenReady()` and before the first window opens. */
export function startDesktopServices(control: ControlApi, options: DesktopServicesOptions, logger: Logger): DesktopServices {
  guardAllWebContents(app);
  denyAllPermissions(session.defaultSession);
  const platform = options.platform ?? process.platform;
  const env = options.env ?? process.env;
  const current = () => options.settings?.get() ?? DEFAULT_SETTINGS;
  const stops: (() => void)[] = [];

  if (options.settings) {
    const host = { app, platform, executable: options.executable ?? env.APPIMAGE ?? process.execPath, configHome: env.XDG_CONFIG_HOME };
    stops.push(followDesktopSettings(options.settings, { setLaunchAtLogin: (on) => setLaunchAtLogin(host, on) }, logger));
  }
  // Withdrawals reach the notifier with the state the agent pushes (NodeState.withdrawals).
  stops.push(startNotifier({ control, choices: () => current().desktop.notifications, logger }));
  if (options.updater) {
    stops.push(
      startAutoUpdate({
        updater: options.updater,
        isPackaged: app.isPackaged,
        env,
        settingUrl: () => current().desktop.updateFeedUrl,
        onDownloaded: (version) => {
          showNotice({ kind: "update-ready", title: "Offpeak update ready", body: `Version ${version} installs when you quit Offpeak.` });
        },
        logger,
      }),
    );
  }
  const logs = options.logDir
    ? createDesktopLogs({ logDir: options.logDir, exportDir: options.exportDir ?? (() => app.getPath("downloads")), shell, appVersion: app.getVersion(), logger })
    : null;
  return {
    control: logs === null ? control : withDesktopLogs(control, logs),
    startHidden: startedAtLogin({ app, platform }, options.argv ?? process.argv),
    stop: () => stops.forEach((stop) => stop()),
  };
}
