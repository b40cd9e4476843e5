/** nvidia-smi outputs as it prints them, a missing or broken nvidia-smi, and the GPU's thermal state. */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { fakeCommandRunner } from "./fake-command-runner.fixture";
import { createNvidiaGpuSource, parseComputeApps, parseGpuQuery, thermalFromGpuTemperature } from "./nvidia-gpu";
import { createCommandRunner } from "./run-command";

const fixture = (name: string) => readFile(path.join(import.meta.dirname, "fixtures", name), "utf8");
const QUERY_GPU = "nvidia-smi --query-gpu=temperature.gpu,utilization.gpu --format=csv,noheader,nounits";
const QUERY_APPS = "nvidia-smi --query-compute-apps=pid,process_name,used_memory --format=csv,noheader,nounits";

describe("nvidia-smi parsing", () => {
  it("reads one GPU's temperature and utilisation", async () => {
    expect(parseGpuQuery(await fixture("nvidia-query-gpu-idle.txt"))).toEqual({ temperatureC: 46, utilizationPercent: 3 });
  });

  it("takes the hottest and the busiest of several GPUs", async () => {
    expect(parseGpuQuery(await fixture("nvidia-query-gpu-two-gpus.txt"))).toEqual({ temperatureC: 88, utilizationPercent: 97 });
  });

  it("treats [N/A] and [Not Supported] as unknown values", () => {
    expect(parseGpuQuery("[N/A], [Not Supported]\n")).toEqual({ temperatureC: null, utilizationPercent: null });
    expect(parseGpuQuery("")).toBeNull();
  });

  it("lists compute processes by executable name, Windows paths and [N/A] memory included", async () => {
    expect(parseComputeApps(await fixture("nvidia-compute-apps-windows.txt"))).toEqual([
      { pid: 4242, name: "worker", usedMemoryMiB: 1024 },
      { pid: 5120, name: "blender.exe", usedMemoryMiB: null },
    ]);
    expect(parseComputeApps("")).toEqual([]);
  });
});

describe("the nvidia-smi source", () => {
  it("combines the GPU state and its processes", async () => {
    const run = fakeCommandRunner({ [QUERY_GPU]: await fixture("nvidia-query-gpu-idle.txt"), [QUERY_APPS]: await fixture("nvidia-compute-apps-ours.txt") });
    expect(await createNvidiaGpuSource(run).read()).toEqual({
      temperatureC: 46,
      utilizationPercent: 3,
      processes: [{ pid: 4242, name: "worker", usedMemoryMiB: 1024 }],
    });
  });

  it("is unavailable when nvidia-smi is not installed (command not found)", async () => {
    const run = fakeCommandRunner({});
    expect(await createNvidiaGpuSource(run).read()).toBeNull();
  });

  it("is unavailable when nvidia-smi cannot talk to the driver", async () => {
    const message = "nvidia-smi failed: NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.";
    const run = fakeCommandRunner({ [QUERY_GPU]: { ok: false, reason: "failed", message } });
    expect(await createNvidiaGpuSource(run).read()).toBeNull();
  });

  it("tells a missing program apart with the real runner", async () => {
    const result = await createCommandRunner()("offpeak-no-such-program-xyz", ["--version"]);
    expect(result).toMatchObject({ ok: false, reason: "missing" });
  });
});

describe("thermal state from the GPU temperature", () => {
  it.each([
    [null, null],
    [60, "nominal"],
    [84, "nominal"],
    [85, "serious"],
    [91, "serious"],
    [92, "critical"],
  ] as const)("%s °C is %s", (celsius, state) => {
    expect(thermalFromGpuTemperature(celsius)).toBe(state);
  });
});
