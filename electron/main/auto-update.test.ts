import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../shared/logger";
import { chooseUpdateFeed, startAutoUpdate, type UpdaterLike } from "./auto-update";

/** Plays electron-updater's autoUpdater: records feeds and checks; the test emits its events. */
class FakeUpdater extends EventEmitter {
  autoDownload = false;
  autoInstallOnAppQuit = false;
  readonly feeds: unknown[] = [];
  checks = 0;
  setFeedURL(options: unknown): void {
    this.feeds.push(options);
  }
  async checkForUpdates(): Promise<null> {
    this.checks += 1;
    return null;
  }
}

function start(updater: FakeUpdater, options: { isPackaged: boolean; env?: NodeJS.ProcessEnv; setting?: () => string | null }) {
  const downloaded: string[] = [];
  const stop = startAutoUpdate({
    updater: updater as unknown as UpdaterLike,
    isPackaged: options.isPackaged,
    env: options.env ?? {},
    settingUrl: options.setting ?? (() => null),
    onDownloaded: (version) => downloaded.push(version),
    logger: silentLogger,
    intervalMs: 60_000,
  });
  return { stop, downloaded };
}

describe("where updates come from", () => {
  it("never updates a run from source, whatever is configured", () => {
    expect(chooseUpdateFeed({ isPackaged: false, envUrl: "https://u.example/offpeak", settingUrl: "https://s.example" })).toEqual({
      enabled: false,
      reason: expect.stringMatching(/not a packaged app/),
    });
  });

  it("prefers OFFPEAK_UPDATE_URL, then the setting, and needs one of them", () => {
    expect(chooseUpdateFeed({ isPackaged: true, envUrl: "https://env.example/feed", settingUrl: "https://s.example" })).toEqual({ enabled: true, url: "https://env.example/feed" });
    expect(chooseUpdateFeed({ isPackaged: true, envUrl: "  ", settingUrl: "https://s.example" })).toEqual({ enabled: true, url: "https://s.example" });
    expect(chooseUpdateFeed({ isPackaged: true, envUrl: undefined, settingUrl: null })).toEqual({ enabled: false, reason: "no update feed is configured" });
    expect(chooseUpdateFeed({ isPackaged: true, envUrl: "file:///tmp/feed", settingUrl: null })).toMatchObject({ enabled: false });
  });
});

describe("the updater wiring", () => {
  it("does not touch the updater in a run from source", () => {
    const updater = new FakeUpdater();
    start(updater, { isPackaged: false, env: { OFFPEAK_UPDATE_URL: "https://u.example" } });
    expect(updater.feeds).toEqual([]);
    expect(updater.checks).toBe(0);
    expect(updater.listenerCount("update-downloaded")).toBe(0);
  });

  it("checks the configured generic feed, downloads in the background and installs on quit", () => {
    const updater = new FakeUpdater();
    const { stop, downloaded } = start(updater, { isPackaged: true, env: { OFFPEAK_UPDATE_URL: "https://updates.example/offpeak" } });
    expect(updater.feeds).toEqual([{ provider: "generic", url: "https://updates.example/offpeak" }]);
    expect(updater.checks).toBe(1);
    expect([updater.autoDownload, updater.autoInstallOnAppQuit]).toEqual([true, true]);
    updater.emit("update-downloaded", { version: "0.2.0" });
    expect(downloaded).toEqual(["0.2.0"]);
    // A failed check is logged, not thrown.
    expect(() => updater.emit("error", new Error("feed unreachable"))).not.toThrow();
    stop();
    expect(updater.listenerCount("update-downloaded")).toBe(0);
  });

  it("uses the owner's feed setting, and stays idle while none is set", () => {
    const updater = new FakeUpdater();
    let setting: string | null = null;
    start(updater, { isPackaged: true, setting: () => setting });
    expect(updater.checks).toBe(0);
    setting = "https://mine.example/feed";
    const second = new FakeUpdater();
    start(second, { isPackaged: true, setting: () => setting });
    expect(second.feeds).toEqual([{ provider: "generic", url: "https://mine.example/feed" }]);
    expect(second.checks).toBe(1);
  });
});
