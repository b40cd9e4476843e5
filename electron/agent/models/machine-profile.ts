/**
 * What this machine can hold: memory, free memory, the GPU backend and its VRAM; and the verdict
 * of a catalog model for it ("fits", "fits-slowly", "does-not-fit") with a sentence.
 *
 * Free memory is what the OS can hand out without swapping:
 * - Linux: `os.freemem()`, which Node reads from MemAvailable (free memory plus reclaimable cache).
 * - Windows: `os.freemem()`, the available physical memory.
 * - macOS: `os.freemem()` counts only free pages and reads a few hundred MB on a Mac that has
 *   gigabytes it can reclaim at once, so it is too pessimistic. We read `vm_stat` and count free,
 *   speculative and purgeable pages plus inactive file-backed pages (clean cache macOS drops
 *   without compressing or swapping). Inactive anonymous memory is not counted: reclaiming it
 *   means compression or swap, which is what the check exists to avoid.
 */
import { execFile } from "node:child_process";
import os from "node:os";
import type { CatalogEntry, ModelJudgement } from "./model-manager";
import { checkFits, formatBytes, type FreeMemory } from "./memory-fit";

/** The compute backend a model runs on. */
export type ComputeBackend = "metal" | "cuda" | "vulkan" | "cpu";

/** This machine's memory and GPU. */
export interface MachineProfile {
  readonly ramBytes: number;
  /** What the OS can hand out now without swapping. */
  readonly freeRamBytes: number;
  /** Total VRAM (on unified memory: the GPU's working-set limit), or null without a GPU. */
  readonly vramBytes: number | null;
  readonly freeVramBytes: number | null;
  /** Apple Silicon with Metal: the GPU uses system memory. */
  readonly unifiedMemory: boolean;
  readonly backend: ComputeBackend;
}

/** The GPU side of a profile, when already known (from the worker's `loaded` message, say). */
export interface KnownGpu {
  readonly backend: ComputeBackend;
  readonly vramBytes: number | null;
  readonly freeVramBytes?: number | null;
  readonly unifiedMemory?: boolean;
}

/** Capabilities of {@link readMachineProfile}, replaceable in tests. */
export interface MachineProfileOptions {
  /** Skips starting node-llama-cpp when the backend and VRAM are known. */
  readonly known?: KnownGpu;
  readonly totalMemoryBytes?: number;
  readonly readAvailableMemory?: () => Promise<number>;
  /** Detects the GPU; defaults to starting node-llama-cpp with `gpu: "auto"` (slow: seconds). */
  readonly detectGpu?: () => Promise<KnownGpu>;
}

/** Reads this machine's profile; pass `known` to avoid starting node-llama-cpp. */
export async function readMachineProfile(options: MachineProfileOptions = {}): Promise<MachineProfile> {
  const ramBytes = options.totalMemoryBytes ?? os.totalmem();
  const freeRamBytes = await (options.readAvailableMemory ?? (() => availableMemoryBytes()))();
  const gpu = options.known ?? (await (options.detectGpu ?? detectGpuWithLlama)());
  const unifiedMemory = gpu.unifiedMemory ?? gpu.backend === "metal";
  return {
    ramBytes,
    freeRamBytes,
    vramBytes: gpu.backend === "cpu" ? null : gpu.vramBytes,
    freeVramBytes: gpu.backend === "cpu" ? null : (gpu.freeVramBytes ?? gpu.vramBytes),
    unifiedMemory,
    backend: gpu.backend,
  };
}

/** Starts node-llama-cpp with the best GPU it finds (never building), reads its VRAM, frees it. */
async function detectGpuWithLlama(): Promise<KnownGpu> {
  const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
  const llama = await getLlama({ gpu: "auto", build: "never", progressLogs: false, logLevel: LlamaLogLevel.error });
  try {
    if (llama.gpu === false) return { backend: "cpu", vramBytes: null };
    const vram = await llama.getVramState();
    return { backend: llama.gpu, vramBytes: vram.total, freeVramBytes: vram.free, unifiedMemory: vram.unifiedSize > 0 };
  } finally {
    await llama.dispose().catch(() => undefined);
  }
}

/** Memory free now for a loaded backend: system memory, and free VRAM when it has a GPU. */
export async function readFreeMemory(
  llama: { readonly gpu: "metal" | "cuda" | "vulkan" | false; getVramState(): Promise<{ free: number; unifiedSize: number }> },
  readAvailable: () => Promise<number> = () => availableMemoryBytes(),
): Promise<FreeMemory> {
  const ramBytes = await readAvailable();
  if (llama.gpu === false) return { ramBytes, vramBytes: null, unifiedMemory: false };
  const vram = await llama.getVramState().catch(() => null);
  if (!vram) return { ramBytes, vramBytes: null, unifiedMemory: llama.gpu === "metal" };
  return { ramBytes, vramBytes: vram.free, unifiedMemory: vram.unifiedSize > 0 || llama.gpu === "metal" };
}

/** Memory the OS can hand out without swapping (see the file comment for each platform). */
export async function availableMemoryBytes(
  platform: string = process.platform,
  runVmStat: () => Promise<string> = defaultVmStat,
  freemem: () => number = os.freemem,
): Promise<number> {
  if (platform !== "darwin") return freemem();
  try {
    return parseVmStatAvailable(await runVmStat());
  } catch {
    return freemem();
  }
}

function defaultVmStat(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("vm_stat", { timeout: 5000 }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
  });
}

/** Bytes macOS can hand out without swapping, from `vm_stat` output. Throws on unreadable output. */
export function parseVmStatAvailable(output: string): number {
  const pageSize = Number(/page size of (\d+) bytes/.exec(output)?.[1]);
  if (!Number.isFinite(pageSize) || pageSize <= 0) throw new Error("vm_stat: no page size");
  const pages = (label: string): number => {
    const match = new RegExp(`^${label}:\\s+(\\d+)\\.?$`, "m").exec(output);
    if (!match) throw new Error(`vm_stat: no "${label}" line`);
    return Number(match[1]);
  };
  const optional = (label: string): number => {
    try {
      return pages(label);
    } catch {
      return 0;
    }
  };
  const free = pages("Pages free");
  const inactive = pages("Pages inactive");
  const fileBacked = optional("File-backed pages");
  const reclaimable = optional("Pages speculative") + optional("Pages purgeable") + Math.min(inactive, fileBacked);
  return (free + reclaimable) * pageSize;
}

/** Context size the catalog's memory figures (`minMemoryBytes`) are computed for. */
export const JUDGED_CONTEXT_SIZE = 4096;

/**
 * The verdict of a catalog model for this machine: "fits" in VRAM or unified memory with margin,
 * "fits-slowly" when it only fits with the CPU doing (some of) the work, else "does-not-fit".
 */
export function judgeCatalogEntry(entry: CatalogEntry, profile: MachineProfile): ModelJudgement {
  const onGpu = profile.backend !== "cpu";
  const estimate = {
    weightsBytes: entry.sizeBytes,
    kvCacheBytes: Math.max(0, entry.minMemoryBytes - entry.sizeBytes),
    totalBytes: entry.minMemoryBytes,
    gpuBytes: onGpu ? entry.minMemoryBytes : 0,
    contextSize: JUDGED_CONTEXT_SIZE,
    sequences: 1,
  };
  const free: FreeMemory = {
    ramBytes: profile.freeRamBytes,
    vramBytes: onGpu ? profile.freeVramBytes : null,
    unifiedMemory: onGpu && profile.unifiedMemory,
  };
  const fit = checkFits(estimate, free);
  const needs = formatBytes(entry.minMemoryBytes);
  switch (fit.placement) {
    case "vram":
      return { verdict: "fits", reason: `Fits: needs ${needs}, ${formatBytes(free.vramBytes ?? 0)} of VRAM free` };
    case "unified":
      return { verdict: "fits", reason: `Fits: needs ${needs}, ${formatBytes(unifiedPool(free))} of unified memory free` };
    case "partial-offload":
      return {
        verdict: "fits-slowly",
        reason: `Fits, but only partly in VRAM (needs ${needs}, ${formatBytes(free.vramBytes ?? 0)} of VRAM free): the rest runs on the CPU, slowly`,
      };
    case "ram":
      return { verdict: "fits-slowly", reason: `Fits in memory but runs on the CPU, slowly (needs ${needs}, ${formatBytes(free.ramBytes)} free)` };
    case null:
      return { verdict: "does-not-fit", reason: doesNotFit(needs, free, profile) };
  }
}

function unifiedPool(free: FreeMemory): number {
  return free.vramBytes === null ? free.ramBytes : Math.min(free.ramBytes, free.vramBytes);
}

function doesNotFit(needs: string, free: FreeMemory, profile: MachineProfile): string {
  if (free.unifiedMemory) {
    return `Does not fit: needs ${needs} plus a safety margin, ${formatBytes(unifiedPool(free))} of ${formatBytes(profile.ramBytes)} unified memory free`;
  }
  if (free.vramBytes !== null) {
    return `Does not fit: needs ${needs} plus a safety margin, ${formatBytes(free.vramBytes)} of VRAM and ${formatBytes(free.ramBytes)} of memory free`;
  }
  return `Does not fit: needs ${needs} plus a safety margin, ${formatBytes(free.ramBytes)} of ${formatBytes(profile.ramBytes)} memory free`;
}
