/**
 * Loads node-llama-cpp on the first backend of a plan that works, never building from source,
 * and says in one sentence which backend it got and why.
 */
import os from "node:os";
import { getLlama, getLlamaGpuTypes, type Llama, type LlamaOptions } from "node-llama-cpp";
import { readFreeMemory } from "../agent/models/machine-profile";
import { formatBytes, loadGuard, type MemoryEstimate } from "../agent/models/memory-fit";
import { backendLabel, isGpuAllowed, planBackends, type BackendChoice, type GpuBackend } from "./backend-selection";

/** The part of a node-llama-cpp `Llama` the loader reads. */
export interface LlamaLike {
  readonly gpu: BackendChoice;
  getGpuDeviceNames(): Promise<string[]>;
  getVramState(): Promise<{ total: number; used: number; free: number; unifiedSize: number }>;
  dispose(): Promise<void>;
}

/** A loaded backend and the sentence that explains it to the owner. */
export interface LoadedBackend<L extends LlamaLike = Llama> {
  readonly llama: L;
  readonly backend: "metal" | "cuda" | "vulkan" | "cpu";
  /** "Metal (Apple M2 Pro, 32 GB unified memory)", "CUDA failed to load (…); using Vulkan (…)", "CPU: no supported GPU found". */
  readonly reason: string;
}

/** Options of {@link loadLlamaWithFallback}. */
export interface LoadLlamaOptions {
  /** Passed to every getLlama call (log level, logger, …); `gpu` and `build` are set by the loader. */
  readonly llamaOptions?: Omit<LlamaOptions, "gpu" | "build">;
  /** True when the plan is CPU-only because the owner turned the GPU off. */
  readonly gpuDisabled?: boolean;
  /** Total system memory, reported for unified memory; defaults to `os.totalmem()`. */
  readonly totalMemoryBytes?: number;
}

type LoaderLog = (level: "debug" | "info" | "warn" | "error", message: string) => void;

/** Longest failure detail kept in the reason sentence. */
const MAX_FAILURE_DETAIL = 160;

/**
 * Tries each backend of `plan` in order with `getLlama({ gpu, build: "never" })`, moving on when
 * one fails, and returns the first that loads with a sentence naming it (and what failed before).
 * Rejects, naming every failure, only when even the last step fails.
 */
export async function loadLlamaWithFallback<L extends LlamaLike = Llama>(
  plan: readonly BackendChoice[],
  getLlamaImpl: (options: LlamaOptions) => Promise<L> = getLlama as unknown as (options: LlamaOptions) => Promise<L>,
  log: LoaderLog = () => {},
  options: LoadLlamaOptions = {},
): Promise<LoadedBackend<L>> {
  const failures: string[] = [];
  for (const choice of plan) {
    let llama: L;
    try {
      llama = await getLlamaImpl({ progressLogs: false, ...options.llamaOptions, gpu: choice, build: "never" });
    } catch (error) {
      const detail = failureDetail(error);
      failures.push(`${backendLabel(choice)} failed to load (${detail})`);
      log("warn", `${backendLabel(choice)} backend failed to load: ${detail}`);
      continue;
    }
    const backend = llama.gpu === false ? "cpu" : llama.gpu;
    const reason = await explain(llama, backend, failures, options);
    log("info", `compute backend: ${reason}`);
    return { llama, backend, reason };
  }
  throw new Error(failures.length > 0 ? `No compute backend could be loaded: ${failures.join("; ")}` : "No compute backend to try");
}

async function explain(llama: LlamaLike, backend: LoadedBackend["backend"], failures: readonly string[], options: LoadLlamaOptions): Promise<string> {
  if (backend === "cpu") {
    if (failures.length > 0) return `${failures.join("; ")}; using the CPU`;
    return options.gpuDisabled ? "CPU: the GPU is turned off" : "CPU: no supported GPU found";
  }
  const description = await describeGpu(llama, backend, options.totalMemoryBytes ?? os.totalmem());
  return failures.length > 0 ? `${failures.join("; ")}; using ${description}` : description;
}

/** "Metal (Apple M2 Pro, 32 GB unified memory)" or "CUDA (NVIDIA GeForce RTX 4090, 24 GB VRAM)". */
async function describeGpu(llama: LlamaLike, backend: "metal" | "cuda" | "vulkan", totalMemoryBytes: number): Promise<string> {
  const names = await llama.getGpuDeviceNames().catch(() => [] as string[]);
  const vram = await llama.getVramState().catch(() => null);
  const parts: string[] = [];
  if (names.length > 0) parts.push(names.join(", "));
  if (vram && vram.unifiedSize > 0) {
    // Apple Silicon: the GPU shares system memory; VRAM "total" is only the GPU's working-set limit.
    parts.push(`${formatBytes(totalMemoryBytes)} unified memory`);
  } else if (vram && vram.total > 0) {
    parts.push(`${formatBytes(vram.total)} VRAM`);
  }
  const label = backendLabel(backend);
  return parts.length > 0 ? `${label} (${parts.join(", ")})` : label;
}

function failureDetail(error: unknown): string {
  const text = error instanceof Error ? error.message || error.name : String(error);
  // node-llama-cpp's NoBinaryFoundError carries only its own name.
  if (text === "NoBinaryFoundError") return "no prebuilt binary works with this machine's drivers";
  const line = text.split("\n")[0]?.trim() || "unknown error";
  return line.length > MAX_FAILURE_DETAIL ? `${line.slice(0, MAX_FAILURE_DETAIL - 1)}…` : line;
}

/** Options of {@link startLlama}. */
export interface StartLlamaOptions {
  /** False when the agent asks for the CPU only. */
  readonly gpu: boolean;
  readonly llamaOptions?: Omit<LlamaOptions, "gpu" | "build">;
  readonly log?: LoaderLog;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** GPU types with binaries and drivers here; defaults to `getLlamaGpuTypes("supported")`. */
  readonly detectAvailable?: () => Promise<readonly BackendChoice[]>;
  readonly getLlamaImpl?: (options: LlamaOptions) => Promise<Llama>;
}

/** Plans the backends for this machine and loads the first that works (see {@link planBackends}). */
export async function startLlama(options: StartLlamaOptions): Promise<LoadedBackend> {
  const gpuAllowed = isGpuAllowed(options.env ?? process.env, options.gpu);
  const detect = options.detectAvailable ?? (() => getLlamaGpuTypes("supported"));
  const detected = gpuAllowed ? await detect().catch(() => [] as BackendChoice[]) : [];
  const available = detected.filter((type): type is GpuBackend => type !== false);
  const plan = planBackends({ platform: process.platform, arch: process.arch, available, gpuAllowed });
  return loadLlamaWithFallback(plan, options.getLlamaImpl ?? getLlama, options.log, {
    llamaOptions: options.llamaOptions,
    gpuDisabled: !gpuAllowed,
  });
}

/**
 * Refuses, before loadModel, a model that does not fit in the memory free now (with a safety
 * margin), rejecting with the sentence to show; resolves with the estimate when it fits.
 */
export async function guardModelMemory(
  llama: Llama,
  model: { readonly modelPath: string; readonly contextSize: number; readonly sequences: number },
  readAvailable?: () => Promise<number>,
): Promise<MemoryEstimate> {
  const free = await readFreeMemory(llama, readAvailable);
  const { estimate } = await loadGuard({ ...model, gpu: llama.gpu !== false, llama, free });
  return estimate;
}
