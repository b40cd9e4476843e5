import { beforeEach, describe, expect, it, vi } from "vitest";
import { IPC_CHANNELS } from "../../shared/control-api";
import { INDEX_FILE as INDEX, loadDesktopApp, PAGE_URL, whenReady } from "../../tests/fake-electron/desktop-app-harness";
import { FakeEvent, type FakeElectron, type FakeMenuItem } from "../../tests/fake-electron/electron";
import { FakeControlApi } from "../../tests/fake-electron/fake-control-api";
import type { startDesktopApp as StartDesktopApp } from "./desktop-app";

let fake: FakeElectron;
let startDesktopApp: typeof StartDesktopApp;
let control: FakeControlApi;
let stops: number;

beforeEach(async () => {
  ({ fake, startDesktopApp } = await loadDesktopApp());
  control = new FakeControlApi();
  stops = 0;
});

function start() {
  return whenReady(
    fake,
    startDesktopApp({
      startAgent: async () => ({
        control,
        stop: async () => {
          stops += 1;
        },
      }),
      preloadPath: "/app/dist/electron/preload.cjs",
      indexFile: INDEX,
      trayImagesDir: "/app/resources/tray",
      platform: "linux",
    }),
  );
}

const menuItem = (items: FakeMenuItem[] | undefined, id: string) => {
  const found = items?.find((i) => i.id === id);
  if (!found) throw new Error(`no menu item ${id}`);
  return found;
};

describe("desktop app", () => {
  it("builds the tray menu and icon from the agent's state, and follows its changes", async () => {
    const { tray } = await start();
    expect(tray.menu?.items[0]).toMatchObject({ label: "Off: sharing is switched off", enabled: false });
    expect(tray.image).toMatchObject({ file: "/app/resources/tray/tray-off-light.png" });
    expect(tray.tooltip).toBe("Offpeak: Off: sharing is switched off");

    control.update({
      sharing: true,
      activity: "earning",
      reason: "Earning: serving a job for offpeak-demo-tiny",
      earnings: { todayMicroUsd: 2_500_000, balanceMicroUsd: 3_000_000, jobsServed: 5 },
    });
    expect(tray.image).toMatchObject({ file: "/app/resources/tray/tray-earning-light.png" });
    expect(menuItem(tray.menu?.items, "share").checked).toBe(true);
    expect(menuItem(tray.menu?.items, "today").label).toBe("Today: $2.50");
  });

  it("switches sharing from the tray's Share item", async () => {
    const { tray } = await start();
    menuItem(tray.menu?.items, "share").click?.();
    await vi.waitFor(() => expect(control.sharingCalls).toEqual([true]));
    expect(menuItem(tray.menu?.items, "share").checked).toBe(true);
    expect(tray.menu?.items[0]?.label).toBe("Ready: waiting for jobs · Sharing: always on");
  });

  it("pauses for an hour from the tray, then resumes from the Resume item that appears", async () => {
    const { tray } = await start();
    menuItem(tray.menu?.items, "share").click?.();
    await vi.waitFor(() => expect(tray.menu?.items[0]?.label).toBe("Ready: waiting for jobs · Sharing: always on"));
    expect(tray.menu?.items.some((i) => i.id === "resume")).toBe(false);

    const before = Date.now();
    menuItem(tray.menu?.items, "pause-hour").click?.();
    await vi.waitFor(() => expect(control.pauseCalls).toHaveLength(1));
    const until = control.pauseCalls[0] as number;
    expect(until).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(until).toBeLessThanOrEqual(Date.now() + 3_600_000);
    await vi.waitFor(() => expect(tray.menu?.items[0]?.label).toMatch(/^Paused until (tomorrow )?\d\d:\d\d$/));
    expect(tray.image).toMatchObject({ file: "/app/resources/tray/tray-paused-light.png" });

    menuItem(tray.menu?.items, "resume").click?.();
    await vi.waitFor(() => expect(control.pauseCalls).toEqual([until, "resume"]));
    await vi.waitFor(() => expect(tray.menu?.items[0]?.label).toBe("Ready: waiting for jobs · Sharing: always on"));
    expect(tray.menu?.items.some((i) => i.id === "resume")).toBe(false);
  });

  it("opens a locked-down window on the app's page", async () => {
    const { window } = await start();
    expect(window.loadedFile).toBe(INDEX);
    expect(window.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      preload: "/app/dist/electron/preload.cjs",
    });
    const navigation = new FakeEvent();
    window.webContents.emit("will-navigate", navigation, "https://example.com");
    expect(navigation.defaultPrevented).toBe(true);
    expect(window.webContents.windowOpenHandler?.({ url: "https://example.com" })).toEqual({ action: "deny" });
  });

  it("hides the window to the tray when it is closed, and closes it only on Quit", async () => {
    const { window, tray } = await start();
    expect(window.isVisible()).toBe(true);
    window.close();
    expect(window.isDestroyed()).toBe(false);
    expect(window.isVisible()).toBe(false);
    expect(fake.app.quitCalls).toBe(0);

    menuItem(tray.menu?.items, "open").click?.();
    expect(window.isVisible()).toBe(true);

    menuItem(tray.menu?.items, "quit").click?.();
    expect(window.isDestroyed()).toBe(true);
    await vi.waitFor(() => expect(stops).toBe(1));
    expect(tray.destroyed).toBe(true);
  });

  it("brings the window back when the app is started a second time", async () => {
    const { window } = await start();
    window.close();
    window.minimize();
    fake.app.emit("second-instance", new FakeEvent(), [], "/");
    expect(window.isVisible()).toBe(true);
    expect(window.isMinimized()).toBe(false);
    expect(window.focused).toBe(true);
  });

  it("quits at once without starting an agent when another instance runs", async () => {
    fake.app.lockAvailable = false;
    let agents = 0;
    const result = await startDesktopApp({
      startAgent: async () => {
        agents += 1;
        return { control, stop: async () => {} };
      },
      preloadPath: "/p",
      indexFile: INDEX,
      trayImagesDir: "/t",
    });
    expect(result).toBeNull();
    expect(fake.app.quitCalls).toBe(1);
    expect(agents).toBe(0);
    expect(fake.windows).toHaveLength(0);
  });

  it("answers IPC from its own window and refuses other senders", async () => {
    const { window } = await start();
    const own = { webContentsId: window.webContents.id, frameUrl: `${PAGE_URL}#/` };
    expect(await fake.invoke(IPC_CHANNELS.getState, own)).toMatchObject({ ok: true, value: { sharing: false } });

    const refusals = [
      { webContentsId: window.webContents.id + 100, frameUrl: PAGE_URL },
      { webContentsId: window.webContents.id, frameUrl: "https://evil.example/" },
      { webContentsId: window.webContents.id, frameUrl: PAGE_URL, subframe: true },
    ];
    for (const sender of refusals) {
      expect(await fake.invoke(IPC_CHANNELS.setSharing, sender, true)).toEqual({ ok: false, error: "This caller may not control Offpeak." });
    }
    expect(control.sharingCalls).toEqual([]);
  });

  it("refuses an invalid setSharing payload and accepts a boolean", async () => {
    const { window } = await start();
    const own = { webContentsId: window.webContents.id, frameUrl: PAGE_URL };
    for (const bad of ["yes", 1, null, { on: true }]) {
      expect(await fake.invoke(IPC_CHANNELS.setSharing, own, bad)).toEqual({ ok: false, error: "setSharing expects true or false." });
    }
    expect(control.sharingCalls).toEqual([]);
    expect(await fake.invoke(IPC_CHANNELS.setSharing, own, true)).toMatchObject({ ok: true, value: { sharing: true } });
    expect(control.sharingCalls).toEqual([true]);
  });

  it("pushes every state change to the window", async () => {
    const { window } = await start();
    control.update({ activity: "paused", reason: "Paused: on battery" });
    const pushes = window.webContents.sent.filter((m) => m.channel === IPC_CHANNELS.state);
    expect(pushes.at(-1)?.args[0]).toMatchObject({ activity: "paused", reason: "Paused: on battery" });
  });

  it("keeps the machine awake while a job runs, and only then", async () => {
    await start();
    expect(fake.blockers.size).toBe(0);
    const job = { jobId: "job_1", model: "offpeak-demo-tiny", startedAt: 1, completionTokens: 0, elapsedMs: 0 };
    control.update({ activity: "earning", currentJob: job });
    expect([...fake.blockers.values()]).toEqual(["prevent-app-suspension"]);
    control.update({ currentJob: { ...job, completionTokens: 5 } });
    expect(fake.powerSaveBlocker.startCalls).toHaveLength(1);
    control.update({ activity: "ready", currentJob: null });
    expect(fake.blockers.size).toBe(0);
  });

  it("releases the keep-awake blocker when the app quits mid-job", async () => {
    await start();
    control.update({ activity: "earning", currentJob: { jobId: "job_2", model: "m", startedAt: 1, completionTokens: 0, elapsedMs: 0 } });
    expect(fake.blockers.size).toBe(1);
    fake.app.emit("will-quit", new FakeEvent());
    expect(fake.blockers.size).toBe(0);
  });
});
