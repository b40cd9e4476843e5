/**
 * The desktop services wired into the app, through the fake `electron` module: the lockdown of
 * web content, the start at login following a setting persisted by the same conf store the
 * headless node uses, notifications, updates, the log methods over IPC, and a hidden start.
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { EventEmitter } from "node:events";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { IPC_CHANNELS } from "../../shared/control-api";
import { ConfSettingsStore } from "../agent/settings-store";
import { INDEX_FILE as INDEX, loadDesktopApp, PAGE_URL, whenReady } from "../../tests/fake-electron/desktop-app-harness";
import { FakeEvent, type FakeElectron } from "../../tests/fake-electron/electron";
import { FakeControlApi } from "../../tests/fake-electron/fake-control-api";
import type { startDesktopApp as StartDesktopApp, DesktopAppOptions } from "./desktop-app";
import type { UpdaterLike } from "./auto-update";
import { createFileLogger } from "./log-file";

let fake: FakeElectron;
let startDesktopApp: typeof StartDesktopApp;
let control: FakeControlApi;
let dir: string;

beforeEach(async () => {
  ({ fake, startDesktopApp } = await loadDesktopApp());
  control = new FakeControlApi();
  dir = await mkdtemp(path.join(tmpdir(), "offpeak-desktop-"));
});

afterEach(async () => {
  fake.app.emit("will-quit", new FakeEvent());
  await rm(dir, { recursive: true, force: true });
});

function start(services: DesktopAppOptions["services"] = {}) {
  return whenReady(
    fake,
    startDesktopApp({
      startAgent: async () => ({ control, stop: async () => {} }),
      preloadPath: "/app/preload.cjs",
      indexFile: INDEX,
      trayImagesDir: "/app/tray",
      platform: "darwin",
      services: { argv: [], env: {}, platform: "darwin", ...services },
    }),
  );
}

describe("web content lockdown", () => {
  it("blocks navigation, new windows and webviews in any webContents, and refuses every permission", async () => {
    await start();
    const contents = new (class extends EventEmitter {
      handler: ((d: { url: string }) => { action: string }) | null = null;
      setWindowOpenHandler(h: (d: { url: string }) => { action: string }) {
        this.handler = h;
      }
    })();
    fake.app.emit("web-contents-created", new FakeEvent(), contents);
    for (const name of ["will-navigate", "will-redirect", "will-attach-webview"]) {
      const event = new FakeEvent();
      contents.emit(name, event, "https://example.com");
      expect(event.defaultPrevented, name).toBe(true);
    }
    expect(contents.handler?.({ url: "https://example.com" })).toEqual({ action: "deny" });
    const answers: boolean[] = [];
    fake.defaultSession.permissionRequestHandler?.({}, "media", (granted: boolean) => answers.push(granted));
    expect(answers).toEqual([false]);
    expect(fake.defaultSession.permissionCheckHandler?.({}, "notifications")).toBe(false);
  });
});

describe("start at login", () => {
  it("is off until the owner turns it on, follows the setting, and the setting persists in the conf file", async () => {
    const store = new ConfSettingsStore(dir);
    await start({ settings: store });
    expect(fake.app.loginItemCalls).toEqual([{ openAtLogin: false, args: [] }]);
    store.update({ desktop: { ...store.get().desktop, launchAtLogin: true } });
    expect(fake.app.loginItemCalls.at(-1)).toEqual({ openAtLogin: true, args: ["--hidden"] });
    // Another setting changing does not touch the login item again.
    store.update({ idleUnloadMinutes: 5 });
    expect(fake.app.loginItemCalls).toHaveLength(2);
    // The same file, read by a new store (the next start, or `offpeak node`), keeps the choice.
    expect(new ConfSettingsStore(dir).get().desktop.launchAtLogin).toBe(true);
  });

  it("writes an XDG autostart entry on Linux", async () => {
    const store = new ConfSettingsStore(dir);
    store.update({ desktop: { ...store.get().desktop, launchAtLogin: true } });
    await start({ settings: store, platform: "linux", env: { XDG_CONFIG_HOME: dir, APPIMAGE: "/opt/Offpeak.AppImage" } });
    const entry = path.join(dir, "autostart", "offpeak.desktop");
    await vi.waitFor(() => expect(existsSync(entry)).toBe(true));
    expect(readFileSync(entry, "utf8")).toContain('Exec="/opt/Offpeak.AppImage" --hidden');
    store.update({ desktop: { ...store.get().desktop, launchAtLogin: false } });
    await vi.waitFor(() => expect(existsSync(entry)).toBe(false));
    expect(fake.app.loginItemCalls).toEqual([]);
  });

  it("keeps the window hidden when started at login", async () => {
    const { window } = await start({ argv: ["--hidden"] });
    expect(window.loadedFile).toBe(INDEX);
    expect(window.isVisible()).toBe(false);
  });
});

describe("notifications", () => {
  it("shows the first earnings of the day, and nothing once the owner switched that off", async () => {
    const store = new ConfSettingsStore(dir);
    await start({ settings: store });
    control.update({ earnings: { todayMicroUsd: 0, balanceMicroUsd: 0, jobsServed: 0 } });
    control.update({ earnings: { todayMicroUsd: 20_000, balanceMicroUsd: 20_000, jobsServed: 1 } });
    expect(fake.notifications.map((n) => n.options)).toEqual([{ title: "First earnings today", body: "This machine earned $0.02 so far today.", silent: false }]);

    const desktop = store.get().desktop;
    store.update({ desktop: { ...desktop, notifications: { ...desktop.notifications, firstEarningsOfDay: false } } });
    control.update({ earnings: { todayMicroUsd: 0, balanceMicroUsd: 0, jobsServed: 0 } });
    control.update({ earnings: { todayMicroUsd: 5_000, balanceMicroUsd: 5_000, jobsServed: 1 } });
    expect(fake.notifications).toHaveLength(1);
  });

  it("tells of each withdrawal that ends, from the withdrawals the agent pushes, without asking for them", async () => {
    const to = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23";
    let listed = 0;
    const list = control.listWithdrawals;
    control.listWithdrawals = () => (listed++, list());
    control.withdrawals.terms = { ...control.withdrawals.terms, availableMicroUsd: 20_000_000 };
    // One withdrawal confirmed before the app started: old news.
    const old = await control.withdrawals.withdraw({ to, amountMicroUsd: 5_000_000 });
    if (!old.ok) throw new Error(old.error);
    control.withdrawals.advance(old.value.id, { status: "confirmed", txHash: `0x${"ab".repeat(32)}` });
    await start();
    control.update({ sharing: true });
    expect(fake.notifications).toEqual([]);

    const made = await control.withdraw({ to, amountMicroUsd: 5_500_000 });
    if (!made.ok) throw new Error(made.error);
    control.withdrawals.advance(made.value.id, { status: "sent", txHash: `0x${"cd".repeat(32)}` });
    expect(fake.notifications).toEqual([]);
    control.withdrawals.advance(made.value.id, { status: "confirmed" });
    expect(fake.notifications.map((n) => n.options)).toEqual([{ title: "Withdrawal confirmed", body: "$5.50 arrived at 0x2c75…5c23.", silent: false }]);
    // Later states that still show it confirmed say nothing more.
    control.update({ sharing: false });
    control.update({ sharing: true });

    const failing = await control.withdraw({ to, amountMicroUsd: 5_000_000 });
    if (!failing.ok) throw new Error(failing.error);
    control.withdrawals.advance(failing.value.id, { status: "failed", failureReason: "the transfer reverted" });
    expect(fake.notifications.map((n) => n.options.body)).toEqual(["$5.50 arrived at 0x2c75…5c23.", "$5.00 was not sent: the transfer reverted. It is back in your balance."]);
    expect(listed).toBe(0);
  });
});

describe("automatic updates", () => {
  class FakeUpdater extends EventEmitter {
    autoDownload = false;
    autoInstallOnAppQuit = false;
    feeds: unknown[] = [];
    setFeedURL(feed: unknown) {
      this.feeds.push(feed);
    }
    async checkForUpdates() {
      return null;
    }
  }

  it("stay off in a run from source and check the feed in a packaged app, telling the owner when one is ready", async () => {
    const source = new FakeUpdater();
    await start({ updater: source as unknown as UpdaterLike, env: { OFFPEAK_UPDATE_URL: "https://updates.example/offpeak" } });
    expect(source.feeds).toEqual([]);
    fake.app.emit("will-quit", new FakeEvent());

    ({ fake, startDesktopApp } = await loadDesktopApp());
    fake.app.isPackaged = true;
    const packaged = new FakeUpdater();
    await start({ updater: packaged as unknown as UpdaterLike, env: { OFFPEAK_UPDATE_URL: "https://updates.example/offpeak" } });
    expect(packaged.feeds).toEqual([{ provider: "generic", url: "https://updates.example/offpeak" }]);
    packaged.emit("update-downloaded", { version: "0.2.0" });
    expect(fake.notifications.at(-1)?.options).toMatchObject({ title: "Offpeak update ready", body: "Version 0.2.0 installs when you quit Offpeak." });
  });
});

describe("logs over the window's IPC", () => {
  it("shows the log file and exports a redacted copy into Downloads", async () => {
    const logDir = path.join(dir, "logs");
    createFileLogger({ dir: logDir }).warn("refused key sk-offpeak-abcdef for 0x2c7536E3605D9C16a7a3D7b1898e529396a65c23");
    fake.app.paths.downloads = path.join(dir, "Downloads");
    const { window } = await start({ logDir });
    const own = { webContentsId: window.webContents.id, frameUrl: PAGE_URL };

    expect(await fake.invoke(IPC_CHANNELS.showLogs, own)).toEqual({ ok: true, value: null });
    expect(fake.shell.shownItems).toEqual([path.join(logDir, "offpeak.log")]);

    const exported = (await fake.invoke(IPC_CHANNELS.exportLogs, own)) as { ok: true; value: { path: string } };
    expect(exported.ok).toBe(true);
    expect(path.dirname(exported.value.path)).toBe(path.join(dir, "Downloads"));
    expect(fake.shell.shownItems.at(-1)).toBe(exported.value.path);
    const text = readFileSync(exported.value.path, "utf8");
    expect(text).toContain("refused key sk-offpeak-[redacted] for 0x2c75…5c23");

    // Another page, or a payload, is refused like every other method.
    expect(await fake.invoke(IPC_CHANNELS.exportLogs, { webContentsId: 999, frameUrl: PAGE_URL })).toMatchObject({ ok: false });
    expect(await fake.invoke(IPC_CHANNELS.exportLogs, own, "/etc/passwd")).toEqual({ ok: false, error: "exportLogs takes no argument." });
  });
});
