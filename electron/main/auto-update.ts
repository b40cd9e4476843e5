/**
 * Automatic updates through electron-updater from a generic feed (latest.yml and the installers
 * under one https URL): the feed is OFFPEAK_UPDATE_URL, else the owner's `desktop.updateFeedUrl`;
 * no feed, or a run from source (not packaged), means no updates at all. An update downloads in
 * the background and installs when the owner quits.
 */
import type { AppUpdater } from "electron-updater";
import type { Logger } from "../../shared/logger";

/** The parts of electron-updater's autoUpdater the app uses (a fake in tests). */
export type UpdaterLike = Pick<AppUpdater, "setFeedURL" | "checkForUpdates" | "on" | "removeListener"> & {
  autoDownload: boolean;
  autoInstallOnAppQuit: boolean;
};

export type UpdateFeed = { readonly enabled: true; readonly url: string } | { readonly enabled: false; readonly reason: string };

/** Where updates come from, or why there are none. */
export function chooseUpdateFeed(input: { isPackaged: boolean; envUrl: string | undefined; settingUrl: string | null }): UpdateFeed {
  if (!input.isPackaged) return { enabled: false, reason: "not a packaged app (a run from source updates with git)" };
  const url = input.envUrl?.trim() || input.settingUrl;
  if (!url) return { enabled: false, reason: "no update feed is configured" };
  if (!/^https?:\/\//i.test(url)) return { enabled: false, reason: `the update feed ${url} is not an http(s) address` };
  return { enabled: true, url };
}

export interface AutoUpdateOptions {
  readonly updater: UpdaterLike;
  readonly isPackaged: boolean;
  readonly env: NodeJS.ProcessEnv;
  /** The owner's feed setting, read at each check. */
  readonly settingUrl: () => string | null;
  /** Called once an update is downloaded (the app tells the owner). */
  readonly onDownloaded: (version: string) => void;
  readonly logger: Logger;
  /** Between checks (default 6 hours). */
  readonly intervalMs?: number;
}

/** Checks now and on an interval while the app runs; returns the function that stops. */
export function startAutoUpdate(options: AutoUpdateOptions): () => void {
  const { updater, logger } = options;
  const feed = () => chooseUpdateFeed({ isPackaged: options.isPackaged, envUrl: options.env.OFFPEAK_UPDATE_URL, settingUrl: options.settingUrl() });
  const first = feed();
  if (!first.enabled && !options.isPackaged) {
    logger.info("automatic updates are off", { reason: first.reason });
    return () => {};
  }
  updater.autoDownload = true;
  updater.autoInstallOnAppQuit = true;
  const onError = (error: Error) => logger.warn("update check failed", { error: error.message });
  const onDownloaded = (info: { version: string }) => options.onDownloaded(info.version);
  updater.on("error", onError);
  updater.on("update-downloaded", onDownloaded);

  let lastUrl: string | null = null;
  const check = () => {
    const current = feed();
    if (!current.enabled) {
      logger.info("automatic updates are off", { reason: current.reason });
      return;
    }
    if (current.url !== lastUrl) {
      updater.setFeedURL({ provider: "generic", url: current.url });
      lastUrl = current.url;
    }
    updater.checkForUpdates().catch((error: unknown) => logger.warn("update check failed", { error: String(error) }));
  };
  check();
  const timer = setInterval(check, options.intervalMs ?? 6 * 60 * 60_000);
  timer.unref?.();
  return () => {
    clearInterval(timer);
    updater.removeListener("error", onError);
    updater.removeListener("update-downloaded", onDownloaded);
  };
}
