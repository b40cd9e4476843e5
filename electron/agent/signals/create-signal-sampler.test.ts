/**
 * The composite sampler over fake sources (what the policy receives), and one real sample of
 * this machine whose availability must agree with its values.
 */
import { describe, expect, it } from "vitest";
import { signalAvailabilitySchema, signalsSchema } from "../../../shared/sharing-types";
import { createSignalSampler, gpuBusyBy, worseThermal } from "./create-signal-sampler";
import { unavailableSources, type GpuReading, type ProcessInfo, type SignalSources } from "./signal-sources";

const NOW = Date.UTC(2025, 5, 1, 9, 30);
const WORKER_PID = 4242;

const processes: ProcessInfo[] = [
  { pid: 1, name: "systemd", exePath: "/sbin/init", commandLine: "/sbin/init" },
  { pid: 300, name: "blender", exePath: "/usr/bin/blender", commandLine: "/usr/bin/blender scene.blend" },
  { pid: 400, name: "eldenring.exe", exePath: "Z:\\games\\steamapps\\common\\ELDEN RING\\Game\\eldenring.exe", commandLine: null },
];

function fakeSources(overrides: Partial<SignalSources> = {}): Partial<SignalSources> {
  return {
    idle: { idleSeconds: async () => 720 },
    battery: { onBattery: async () => false },
    thermal: { thermal: async () => null },
    processes: { list: async () => processes },
    fullscreen: { fullscreenApp: async () => ({ app: "steam_app_1245620" }) },
    gpu: { read: async () => ({ temperatureC: 70, utilizationPercent: 95, processes: [{ pid: WORKER_PID, name: "worker", usedMemoryMiB: 900 }] }) },
    memory: { freeMemoryBytes: async () => 6e9 },
    steam: { runningApp: async () => null },
    ...overrides,
  };
}

function sampler(sources: Partial<SignalSources>, ownApps: string[] = []) {
  return createSignalSampler({
    platform: "linux",
    now: () => NOW,
    timeZone: () => "Europe/Paris",
    ownApps: () => ownApps,
    excludePids: () => [WORKER_PID],
    sources,
  });
}

describe("createSignalSampler with fake sources", () => {
  it("composes every source into valid signals", async () => {
    const s = sampler(fakeSources(), ["Blender"]);
    const signals = await s.sample();
    expect(signalsSchema.parse(signals)).toEqual(signals);
    expect(signals).toEqual({
      now: NOW,
      timeZone: "Europe/Paris",
      idleSeconds: 720,
      onBattery: false,
      thermal: "nominal",
      game: { name: "ELDEN RING", source: "steam" },
      processesKnown: true,
      fullscreenApp: "steam_app_1245620",
      fullscreenKnown: true,
      gpuBusyBy: null,
      gpuKnown: true,
      ownAppRunning: "Blender",
      freeMemoryBytes: 6e9,
    });
    expect(s.availability()).toEqual({ idle: true, battery: true, thermal: true, processes: true, fullscreen: true, gpu: true, memory: true });
  });

  it("says unknown (flags false, values null) for each unavailable source, and availability follows", async () => {
    const s = sampler({ ...unavailableSources });
    const signals = await s.sample();
    expect(signals).toMatchObject({
      idleSeconds: null,
      onBattery: null,
      thermal: null,
      game: null,
      processesKnown: false,
      fullscreenApp: null,
      fullscreenKnown: false,
      gpuBusyBy: null,
      gpuKnown: false,
      ownAppRunning: null,
      freeMemoryBytes: null,
    });
    expect(Object.values(s.availability()).some(Boolean)).toBe(false);
  });

  it("treats a source that throws as unavailable and still samples the rest", async () => {
    const s = sampler(fakeSources({ idle: { idleSeconds: async () => Promise.reject(new Error("bus gone")) } }));
    const signals = await s.sample();
    expect(signals.idleSeconds).toBeNull();
    expect(signals.onBattery).toBe(false);
    expect(s.availability().idle).toBe(false);
  });

  it("reads the owner's apps and our worker's pid at each sample", async () => {
    let ownApps: string[] = [];
    let pids: number[] = [WORKER_PID];
    const gpu: GpuReading = { temperatureC: 50, utilizationPercent: 90, processes: [{ pid: 900, name: "python3", usedMemoryMiB: 4000 }] };
    const s = createSignalSampler({ platform: "linux", ownApps: () => ownApps, excludePids: () => pids, sources: fakeSources({ gpu: { read: async () => gpu } }) });
    expect((await s.sample()).ownAppRunning).toBeNull();
    expect((await s.sample()).gpuBusyBy).toBe("python3");
    ownApps = ["BLENDER"];
    pids = [900];
    const later = await s.sample();
    expect(later.ownAppRunning).toBe("BLENDER");
    expect(later.gpuBusyBy).toBeNull();
  });

  it("takes the worse of the OS thermal state and the GPU temperature's", async () => {
    const hotGpu = { read: async () => ({ temperatureC: 93, utilizationPercent: 10, processes: [] }) };
    expect((await sampler(fakeSources({ thermal: { thermal: async () => "fair" }, gpu: hotGpu })).sample()).thermal).toBe("critical");
    expect((await sampler(fakeSources({ thermal: { thermal: async () => "serious" } })).sample()).thermal).toBe("serious");
    expect(worseThermal(null, null)).toBeNull();
  });

  it("passes Steam's running app to game detection", async () => {
    const s = sampler(fakeSources({ processes: { list: async () => [] }, steam: { runningApp: async () => ({ appId: 730, name: "Counter-Strike 2" }) } }));
    expect((await s.sample()).game).toEqual({ name: "Counter-Strike 2", source: "steam" });
  });

  it("uses the system time zone and clock by default", async () => {
    const s = createSignalSampler({ platform: "linux", ownApps: () => [], excludePids: () => [], sources: { ...unavailableSources } });
    const before = Date.now();
    const signals = await s.sample();
    expect(signals.timeZone).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
    expect(signals.now).toBeGreaterThanOrEqual(before);
  });
});

describe("gpuBusyBy", () => {
  const reading = (utilizationPercent: number | null, pids: number[]): GpuReading => ({
    temperatureC: 60,
    utilizationPercent,
    processes: pids.map((pid) => ({ pid, name: pid === WORKER_PID ? "worker" : "[Insufficient Permissions]", usedMemoryMiB: null })),
  });

  it("names another compute process, or a busy GPU we are not on", () => {
    expect(gpuBusyBy(reading(5, [77]), [WORKER_PID])).toBe("Another program");
    expect(gpuBusyBy(reading(85, []), [WORKER_PID])).toBe("Another program (GPU 85% busy)");
  });

  it("does not count our own worker's use, or a quiet GPU", () => {
    expect(gpuBusyBy(reading(99, [WORKER_PID]), [WORKER_PID])).toBeNull();
    expect(gpuBusyBy(reading(12, []), [WORKER_PID])).toBeNull();
    expect(gpuBusyBy(reading(null, []), [WORKER_PID])).toBeNull();
  });
});

describe("a real sample of this machine", () => {
  it("knows the processes and free memory, and reports exactly what it found as available", async () => {
    const s = createSignalSampler({ ownApps: () => [], excludePids: () => [process.pid] });
    const signals = await s.sample();
    const available = signalAvailabilitySchema.parse(s.availability());
    expect(signalsSchema.parse(signals)).toEqual(signals);
    expect(signals.processesKnown).toBe(true);
    expect(signals.freeMemoryBytes).toBeGreaterThan(0);
    expect(available).toEqual({
      idle: signals.idleSeconds !== null,
      battery: signals.onBattery !== null,
      thermal: signals.thermal !== null,
      processes: signals.processesKnown,
      fullscreen: signals.fullscreenKnown,
      gpu: signals.gpuKnown,
      memory: signals.freeMemoryBytes !== null,
    });
    if (!signals.gpuKnown) expect(signals.gpuBusyBy).toBeNull();
    if (!signals.fullscreenKnown) expect(signals.fullscreenApp).toBeNull();
  });
});
