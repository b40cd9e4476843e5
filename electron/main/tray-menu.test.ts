import { describe, expect, it } from "vitest";
import type { MenuItemConstructorOptions } from "electron";
import { sampleNodeState } from "../../tests/fake-electron/fake-control-api";
import { trayMenuTemplate, trayTooltip, type TrayActions } from "./tray-menu";

function recorder() {
  const calls: string[] = [];
  const actions: TrayActions = {
    setSharing: (on) => calls.push(`share:${on}`),
    pause: (until) => calls.push(`pause:${until}`),
    resume: () => calls.push("resume"),
    openWindow: () => calls.push("open"),
    quit: () => calls.push("quit"),
  };
  return { calls, actions };
}

const item = (menu: MenuItemConstructorOptions[], id: string) => {
  const found = menu.find((m) => m.id === id);
  if (!found) throw new Error(`no menu item ${id}`);
  return found;
};
const click = (entry: MenuItemConstructorOptions) => (entry.click as () => void)();

describe("tray menu", () => {
  it("starts with the state and its reason, as a line that cannot be clicked", () => {
    const menu = trayMenuTemplate(sampleNodeState({ activity: "ready", reason: "Ready: waiting for jobs", sharing: true }), recorder().actions);
    expect(menu[0]).toMatchObject({ label: "Ready: waiting for jobs · Sharing: always on", enabled: false });
  });

  it("shows Share checked when sharing and today's earnings in dollars", () => {
    const state = sampleNodeState({ sharing: true, earnings: { todayMicroUsd: 1_250_000, balanceMicroUsd: 0, jobsServed: 9 } });
    const menu = trayMenuTemplate(state, recorder().actions);
    expect(item(menu, "share")).toMatchObject({ type: "checkbox", checked: true, enabled: true });
    expect(item(menu, "today").label).toBe("Today: $1.25");
  });

  it("asks the agent for the opposite of the current sharing when Share is clicked", () => {
    const { calls, actions } = recorder();
    click(item(trayMenuTemplate(sampleNodeState({ sharing: false }), actions), "share"));
    click(item(trayMenuTemplate(sampleNodeState({ sharing: true }), actions), "share"));
    expect(calls).toEqual(["share:true", "share:false"]);
  });

  it("opens the window and quits from their items", () => {
    const { calls, actions } = recorder();
    const menu = trayMenuTemplate(sampleNodeState(), actions);
    click(item(menu, "open"));
    click(item(menu, "quit"));
    expect(calls).toEqual(["open", "quit"]);
    expect(menu.map((m) => m.label).filter(Boolean)).toEqual([
      "Off: sharing is switched off",
      "Share this machine",
      "Pause for 1 hour",
      "Pause until tomorrow",
      "Today: $0.001234",
      "Open Offpeak",
      "Quit Offpeak",
    ]);
  });

  it("while the agent starts, says so and does not offer Share", () => {
    const menu = trayMenuTemplate(null, recorder().actions);
    expect(menu[0]?.label).toBe("Starting…");
    expect(item(menu, "share")).toMatchObject({ enabled: false, checked: false });
    expect(item(menu, "pause-hour").enabled).toBe(false);
    expect(trayTooltip(null)).toBe("Offpeak: starting");
  });

  it("adds the sharing rules' reason to the first line when it says something the state does not", () => {
    const ready = sampleNodeState({
      sharing: true,
      activity: "ready",
      reason: "Ready: waiting for jobs",
      decision: { share: true, reason: "Sharing: inside your schedule until 07:00", nextChangeAt: null, pausedByOwner: false },
    });
    expect(trayMenuTemplate(ready, recorder().actions)[0]?.label).toBe("Ready: waiting for jobs · Sharing: inside your schedule until 07:00");
    expect(trayTooltip(ready)).toBe("Offpeak: Ready: waiting for jobs · Sharing: inside your schedule until 07:00");
    const paused = sampleNodeState({
      sharing: true,
      activity: "paused",
      reason: "Paused until 14:30",
      decision: { share: false, reason: "Paused until 14:30", nextChangeAt: 1, pausedByOwner: true },
    });
    expect(trayMenuTemplate(paused, recorder().actions)[0]?.label).toBe("Paused until 14:30");
  });

  it("pauses for an hour and until 08:00 tomorrow (local time) from the clock at click time", () => {
    const { calls, actions } = recorder();
    let now = new Date(2031, 2, 29, 21, 15).getTime();
    const menu = trayMenuTemplate(sampleNodeState({ sharing: true, activity: "ready" }), actions, () => now);
    now += 60_000;
    click(item(menu, "pause-hour"));
    click(item(menu, "pause-tomorrow"));
    expect(calls).toEqual([`pause:${now + 3_600_000}`, `pause:${new Date(2031, 2, 30, 8, 0).getTime()}`]);
    expect(menu.find((m) => m.id === "resume")).toBeUndefined();
  });

  it("offers Resume only while the owner's pause holds the node", () => {
    const { calls, actions } = recorder();
    const paused = sampleNodeState({
      sharing: true,
      activity: "paused",
      reason: "Paused until 14:30",
      decision: { share: false, reason: "Paused until 14:30", nextChangeAt: 1, pausedByOwner: true },
    });
    click(item(trayMenuTemplate(paused, actions), "resume"));
    expect(calls).toEqual(["resume"]);
    const onBattery = sampleNodeState({
      sharing: true,
      activity: "paused",
      reason: "Paused: on battery",
      decision: { share: false, reason: "Paused: on battery", nextChangeAt: null, pausedByOwner: false },
    });
    expect(trayMenuTemplate(onBattery, actions).some((m) => m.id === "resume")).toBe(false);
  });
});
