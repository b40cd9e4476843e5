/**
 * The desktop app's signals against the fake `electron` module: powerMonitor's idle time,
 * battery and thermal state reach the shared signals, and power events call back at once.
 */
import { beforeEach, describe, expect, it, vi } from "vitest";
import { unavailableSources } from "../agent/signals/signal-sources";
import { createFakeElectron, type FakeElectron } from "../../tests/fake-electron/electron";
import type * as PowerSignals from "./power-signals";

let fake: FakeElectron;
let signals: typeof PowerSignals;

beforeEach(async () => {
  fake = createFakeElectron();
  vi.resetModules();
  vi.doMock("electron", () => fake.module);
  signals = await import("./power-signals");
});

const headless = { ...unavailableSources, memory: { freeMemoryBytes: async () => 8e9 } };

function desktopSampler(platform: NodeJS.Platform, onChange?: (event: PowerSignals.PowerEvent) => void, env: NodeJS.ProcessEnv = {}) {
  return signals.createDesktopSignalSampler({
    platform,
    env,
    now: () => 0,
    timeZone: () => "America/New_York",
    ownApps: () => [],
    excludePids: () => [],
    onChange,
    platformSources: { run: async () => ({ ok: false, reason: "missing", message: "not here" }), procRoot: "/nonexistent", powerSupplyRoot: "/nonexistent" },
  });
}

describe("createDesktopSignalSampler", () => {
  it("takes idle time, battery and the thermal state from Electron's powerMonitor (macOS)", async () => {
    fake.powerMonitor.idleSeconds = 615;
    fake.powerMonitor.onBatteryPower = true;
    fake.powerMonitor.thermalState = "serious";
    const { sampler } = desktopSampler("darwin");
    const sample = await sampler.sample();
    expect(sample).toMatchObject({ idleSeconds: 615, onBattery: true, thermal: "serious", timeZone: "America/New_York" });
    expect(sampler.availability()).toMatchObject({ idle: true, battery: true, thermal: true });

    fake.powerMonitor.onBatteryPower = false;
    fake.powerMonitor.thermalState = "nominal";
    expect(await sampler.sample()).toMatchObject({ onBattery: false, thermal: "nominal" });
  });

  it("reads Electron's 'unknown' thermal state as unavailable", async () => {
    fake.powerMonitor.thermalState = "unknown";
    const { sampler } = desktopSampler("darwin");
    expect((await sampler.sample()).thermal).toBeNull();
    expect(sampler.availability().thermal).toBe(false);
  });

  it("leaves thermal to the GPU on Windows, where Electron has no thermal state", async () => {
    fake.powerMonitor.thermalState = "critical"; // ignored off macOS
    const { sampler } = signals.createDesktopSignalSampler({
      platform: "win32",
      ownApps: () => [],
      excludePids: () => [],
      sources: { ...headless, gpu: { read: async () => ({ temperatureC: 86, utilizationPercent: 20, processes: [] }) } },
    });
    expect((await sampler.sample()).thermal).toBe("serious");
  });

  it("keeps the headless idle source in a Linux Wayland session", async () => {
    fake.powerMonitor.idleSeconds = 999;
    const wayland = await desktopSampler("linux", undefined, { XDG_SESSION_TYPE: "wayland" }).sampler.sample();
    expect(wayland.idleSeconds).toBeNull(); // logind is not reachable in this test
    const x11 = await desktopSampler("linux", undefined, { DISPLAY: ":0" }).sampler.sample();
    expect(x11.idleSeconds).toBe(999);
  });

  it("calls back on every power event until disposed", () => {
    const events: string[] = [];
    const { dispose } = desktopSampler("darwin", (event) => events.push(event));
    for (const event of ["suspend", "resume", "lock-screen", "unlock-screen", "on-battery", "on-ac", "thermal-state-change"]) fake.powerMonitor.fire(event);
    expect(events).toEqual(["suspend", "resume", "lock-screen", "unlock-screen", "on-battery", "on-ac", "thermal-state-change"]);
    dispose();
    fake.powerMonitor.fire("on-battery");
    expect(events).toHaveLength(7);
    expect(fake.powerMonitor.listenerCount("on-battery")).toBe(0);
  });
});

describe("thermalFromElectron", () => {
  it("maps Electron's states and drops unknown ones", () => {
    expect(["unknown", "nominal", "fair", "serious", "critical", "bogus"].map(signals.thermalFromElectron)).toEqual([null, "nominal", "fair", "serious", "critical", null]);
  });
});
