import { describe, expect, it } from "vitest";
import { isGpuAllowed, planBackends, type BackendChoice, type DetectedBackends } from "./backend-selection";

describe("planBackends", () => {
  const cases: Array<{ machine: string; detected: DetectedBackends; plan: BackendChoice[] }> = [
    { machine: "Mac with Apple Silicon", detected: { platform: "darwin", arch: "arm64", available: ["metal"], gpuAllowed: true }, plan: ["metal", false] },
    { machine: "Intel Mac", detected: { platform: "darwin", arch: "x64", available: ["metal"], gpuAllowed: true }, plan: [false] },
    { machine: "Linux with CUDA and Vulkan", detected: { platform: "linux", arch: "x64", available: ["vulkan", "cuda"], gpuAllowed: true }, plan: ["cuda", "vulkan", false] },
    { machine: "Linux with CUDA only", detected: { platform: "linux", arch: "x64", available: ["cuda"], gpuAllowed: true }, plan: ["cuda", false] },
    { machine: "Windows with Vulkan only", detected: { platform: "win32", arch: "x64", available: ["vulkan"], gpuAllowed: true }, plan: ["vulkan", false] },
    { machine: "Linux without a GPU", detected: { platform: "linux", arch: "x64", available: [], gpuAllowed: true }, plan: [false] },
    { machine: "Linux that reports Metal (never tried off a Mac)", detected: { platform: "linux", arch: "arm64", available: ["metal"], gpuAllowed: true }, plan: [false] },
    { machine: "Windows with CUDA, GPU turned off", detected: { platform: "win32", arch: "x64", available: ["cuda", "vulkan"], gpuAllowed: false }, plan: [false] },
    { machine: "Apple Silicon, GPU turned off", detected: { platform: "darwin", arch: "arm64", available: ["metal"], gpuAllowed: false }, plan: [false] },
  ];
  it.each(cases)("$machine → $plan", ({ detected, plan }) => {
    expect(planBackends(detected)).toEqual(plan);
  });
});

describe("isGpuAllowed", () => {
  it.each([
    { env: {}, setting: true, allowed: true },
    { env: { NODE_LLAMA_CPP_GPU: "false" }, setting: true, allowed: false },
    { env: { NODE_LLAMA_CPP_GPU: "OFF" }, setting: true, allowed: false },
    { env: { NODE_LLAMA_CPP_GPU: "cuda" }, setting: true, allowed: true },
    { env: { NODE_LLAMA_CPP_GPU: "auto" }, setting: false, allowed: false },
  ])("NODE_LLAMA_CPP_GPU=$env.NODE_LLAMA_CPP_GPU with setting $setting → $allowed", ({ env, setting, allowed }) => {
    expect(isGpuAllowed(env, setting)).toBe(allowed);
  });
});
