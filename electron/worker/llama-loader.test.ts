import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LlamaOptions } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateDemoModel } from "../agent/models/demo-model";
import { InsufficientMemoryError } from "../agent/models/memory-fit";
import type { BackendChoice } from "./backend-selection";
import { LlamaGenerator } from "./generator";
import { guardModelMemory, loadLlamaWithFallback, startLlama, type LlamaLike } from "./llama-loader";

const GIB = 1024 ** 3;

/** A stand-in for node-llama-cpp's getLlama: the listed backends fail, the others load. */
function fakeGetLlama(failing: Partial<Record<string, string>>, gpu: { names: string[]; total: number; unifiedSize: number }) {
  const calls: LlamaOptions[] = [];
  const impl = async (options: LlamaOptions): Promise<LlamaLike> => {
    calls.push(options);
    const choice = options.gpu as BackendChoice;
    const failure = failing[String(choice)];
    if (failure) throw new Error(failure);
    return {
      gpu: choice,
      getGpuDeviceNames: async () => (choice === false ? [] : gpu.names),
      getVramState: async () => ({ total: gpu.total, used: 0, free: gpu.total, unifiedSize: gpu.unifiedSize }),
      dispose: async () => {},
    };
  };
  return { impl, calls };
}

describe("loadLlamaWithFallback", () => {
  it("falls back to the CPU when CUDA and Vulkan fail, naming both failures", async () => {
    const { impl, calls } = fakeGetLlama(
      { cuda: "libcudart.so.12: cannot open shared object file", vulkan: "vkCreateInstance failed" },
      { names: [], total: 0, unifiedSize: 0 },
    );
    const warnings: string[] = [];
    const loaded = await loadLlamaWithFallback(["cuda", "vulkan", false], impl, (level, message) => {
      if (level === "warn") warnings.push(message);
    });
    expect(loaded.backend).toBe("cpu");
    expect(loaded.reason).toBe(
      "CUDA failed to load (libcudart.so.12: cannot open shared object file); Vulkan failed to load (vkCreateInstance failed); using the CPU",
    );
    expect(warnings).toHaveLength(2);
    expect(calls.map((call) => call.gpu)).toEqual(["cuda", "vulkan", false]);
    expect(calls.every((call) => call.build === "never")).toBe(true);
  });

  it("uses Vulkan after CUDA fails and describes the GPU", async () => {
    const { impl } = fakeGetLlama({ cuda: "no CUDA driver" }, { names: ["AMD Radeon RX 7800 XT"], total: 16 * GIB, unifiedSize: 0 });
    const loaded = await loadLlamaWithFallback(["cuda", "vulkan", false], impl);
    expect(loaded.backend).toBe("vulkan");
    expect(loaded.reason).toBe("CUDA failed to load (no CUDA driver); using Vulkan (AMD Radeon RX 7800 XT, 16 GB VRAM)");
  });

  it("says a Mac's GPU shares its unified memory", async () => {
    const { impl } = fakeGetLlama({}, { names: ["Apple M2 Pro"], total: 21 * GIB, unifiedSize: 21 * GIB });
    const loaded = await loadLlamaWithFallback(["metal", false], impl, undefined, { totalMemoryBytes: 32 * GIB });
    expect(loaded).toMatchObject({ backend: "metal", reason: "Metal (Apple M2 Pro, 32 GB unified memory)" });
  });

  it("explains a CPU-only plan", async () => {
    const { impl } = fakeGetLlama({}, { names: [], total: 0, unifiedSize: 0 });
    expect((await loadLlamaWithFallback([false], impl)).reason).toBe("CPU: no supported GPU found");
    expect((await loadLlamaWithFallback([false], impl, undefined, { gpuDisabled: true })).reason).toBe("CPU: the GPU is turned off");
  });

  it("rejects, naming every failure, when nothing loads", async () => {
    const { impl } = fakeGetLlama({ cuda: "no driver", false: "binary missing" }, { names: [], total: 0, unifiedSize: 0 });
    await expect(loadLlamaWithFallback(["cuda", false], impl)).rejects.toThrow("CUDA failed to load (no driver); CPU failed to load (binary missing)");
  });
});

describe("the CPU path for real", () => {
  let dir: string;
  let modelPath: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "offpeak-loader-"));
    modelPath = join(dir, "tiny.gguf");
    await generateDemoModel({ path: modelPath, shape: "tiny", type: "f32" });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("loads node-llama-cpp on the CPU with the real getLlama, and guards a model's memory", async () => {
    const loaded = await loadLlamaWithFallback([false]);
    expect(loaded.backend).toBe("cpu");
    expect(loaded.llama.gpu).toBe(false);
    expect(loaded.reason).toBe("CPU: no supported GPU found");

    const estimate = await guardModelMemory(loaded.llama, { modelPath, contextSize: 256, sequences: 1 });
    expect(estimate.gpuBytes).toBe(0);
    expect(estimate.totalBytes).toBeGreaterThan(0);

    const refused = guardModelMemory(loaded.llama, { modelPath, contextSize: 256, sequences: 1 }, async () => 1024 * 1024);
    await expect(refused).rejects.toBeInstanceOf(InsufficientMemoryError);
    await expect(refused).rejects.toThrow(/^Needs .+ with a 256-token context; 1 MB free\. Choose a smaller model or context\.$/);
  });

  it("startLlama stays on the CPU when the agent asks for no GPU", async () => {
    let detected = false;
    const loaded = await startLlama({
      gpu: false,
      env: {},
      detectAvailable: async () => {
        detected = true;
        return ["cuda"];
      },
    });
    expect(loaded).toMatchObject({ backend: "cpu", reason: "CPU: the GPU is turned off" });
    expect(detected).toBe(false);
  });

  it("a generator loaded on the CPU reports its backend and why", async () => {
    const generator = await LlamaGenerator.load({ modelPath, contextSize: 128, threads: 1, gpu: false });
    try {
      expect(generator.hardware.backend).toBe("cpu");
      expect(generator.backendReason).toBe("CPU: the GPU is turned off");
    } finally {
      await generator.dispose();
    }
  });
});
