/**
 * The desktop app's signals against the fake `electron` module's powerMonitor: its idle time,
 * battery and thermal state reach the shared signals through the sampler the node host builds
 * over them, and power events call back at once.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { createSignalSampler } from "../agent/signals/create-signal-sampler";
import { unavailableSources } from "../agent/signals/signal-sources";
import { createFakeElectron, type FakeElectron } from "../../tests/fake-electron/electron";
import { createPowerMonitorSources, thermalFromElectron, watchPowerEvents, type PowerEvent } from "./power-signals";

let fake: FakeElectron;

beforeEach(() => {
  fake = createFakeElectron();
});

const headless = { ...unavailableSources, memory: { freeMemoryBytes: async () => 8e9 } };

/** The node host's sampler with powerMonitor's sources over the platform's own, as the app passes them. */
function desktopSampler(platform: NodeJS.Platform, env: NodeJS.ProcessEnv = {}) {
  return createSignalSampler({
    platform,
    now: () => 0,
    timeZone: () => "America/New_York",
    ownApps: () => [],
    excludePids: () => [],
    platformSources: { env, run: async () => ({ ok: false, reason: "missing", message: "not here" }), procRoot: "/nonexistent", powerSupplyRoot: "/nonexistent" },
    sources: createPowerMonitorSources(fake.powerMonitor, platform, env),
  });
}

describe("createPowerMonitorSources", () => {
  it("takes idle time, battery and the thermal state from Electron's powerMonitor (macOS)", async () => {
    fake.powerMonitor.idleSeconds = 615;
    fake.powerMonitor.onBatteryPower = true;
    fake.powerMonitor.thermalState = "serious";
    const sampler = desktopSampler("darwin");
    const sample = await sampler.sample();
    expect(sample).toMatchObject({ idleSeconds: 615, onBattery: true, thermal: "serious", timeZone: "America/New_York" });
    expect(sampler.availability()).toMatchObject({ idle: true, battery: true, thermal: true });

    fake.powerMonitor.onBatteryPower = false;
    fake.powerMonitor.thermalState = "nominal";
    expect(await sampler.sample()).toMatchObject({ onBattery: false, thermal: "nominal" });
  });

  it("reads Electron's 'unknown' thermal state as unavailable", async () => {
    fake.powerMonitor.thermalState = "unknown";
    const sampler = desktopSampler("darwin");
    expect((await sampler.sample()).thermal).toBeNull();
    expect(sampler.availability().thermal).toBe(false);
  });

  it("leaves thermal to the GPU on Windows, where Electron has no thermal state", async () => {
    fake.powerMonitor.thermalState = "critical"; // ignored off macOS
    const sampler = createSignalSampler({
      platform: "win32",
      ownApps: () => [],
      excludePids: () => [],
      sources: { ...headless, gpu: { read: async () => ({ temperatureC: 86, utilizationPercent: 20, processes: [] }) }, ...createPowerMonitorSources(fake.powerMonitor, "win32", {}) },
    });
    expect((await sampler.sample()).thermal).toBe("serious");
  });

  it("keeps the headless idle source in a Linux Wayland session", async () => {
    fake.powerMonitor.idleSeconds = 999;
    const wayland = await desktopSampler("linux", { XDG_SESSION_TYPE: "wayland" }).sample();
    expect(wayland.idleSeconds).toBeNull(); // logind is not reachable in this test
    const x11 = await desktopSampler("linux", { DISPLAY: ":0" }).sample();
    expect(x11.idleSeconds).toBe(999);
  });
});

describe("watchPowerEvents", () => {
  it("calls back on every power event until disposed", () => {
    const events: PowerEvent[] = [];
    const dispose = watchPowerEvents(fake.powerMonitor, (event) => events.push(event));
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
    expect(["unknown", "nominal", "fair", "serious", "critical", "bogus"].map(thermalFromElectron)).toEqual([null, "nominal", "fair", "serious", "critical", null]);
  });
});
