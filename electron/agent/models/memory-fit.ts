/**
 * How much memory a model needs, and whether it fits in what this machine has free, in a
 * sentence the owner understands. The estimate is node-llama-cpp's own (GgufInsights, read from
 * the file's header); the fit check is pure, so the catalog and the worker share it.
 *
 * A Mac must never be pushed into swap: on unified memory the check counts the memory macOS can
 * hand out without swapping (see `availableMemoryBytes` in machine-profile.ts) and keeps
 * {@link MEMORY_SAFETY_MARGIN} free on top of the estimate.
 */
import type { Llama } from "node-llama-cpp";

const KIB = 1024;
const MIB = 1024 * KIB;
const GIB = 1024 * MIB;

/** A safety margin: a fraction of what is needed, plus a fixed amount. */
export interface SafetyMargin {
  readonly fraction: number;
  readonly bytes: number;
}

/**
 * Kept free in system or unified memory: 20 % of the need plus 1 GB, for the OS, the app and the
 * estimate's own error (llama.cpp's compute buffers are only roughly estimated).
 */
export const MEMORY_SAFETY_MARGIN: SafetyMargin = { fraction: 0.2, bytes: GIB };

/** Kept free in dedicated VRAM: nothing else lives there, and node-llama-cpp pads VRAM itself. */
export const VRAM_SAFETY_MARGIN: SafetyMargin = { fraction: 0.1, bytes: 512 * MIB };

/** What a model needs with a given context. */
export interface MemoryEstimate {
  /** The weights, wherever they are placed. */
  readonly weightsBytes: number;
  /** The context: KV cache for every sequence plus compute buffers. */
  readonly kvCacheBytes: number;
  readonly totalBytes: number;
  /** The part placed in GPU memory (0 on the CPU). */
  readonly gpuBytes: number;
  /** Context size the estimate is for (clipped to the model's training context). */
  readonly contextSize: number;
  readonly sequences: number;
}

/** Options of {@link estimateModelMemory}. */
export interface EstimateOptions {
  readonly contextSize: number;
  readonly sequences?: number;
  /** True when every layer goes to the GPU (Metal, CUDA, Vulkan); false on the CPU. */
  readonly gpu: boolean;
  /** The loaded backend, when there is one; without it node-llama-cpp uses a backend-less instance. */
  readonly llama?: Llama;
}

/** Estimates the memory a GGUF file needs, from its header, with node-llama-cpp's resolver. */
export async function estimateModelMemory(modelPath: string, options: EstimateOptions): Promise<MemoryEstimate> {
  const { readGgufFileInfo, GgufInsights } = await import("node-llama-cpp");
  const fileInfo = await readGgufFileInfo(modelPath, { sourceType: "filesystem", logWarnings: false });
  const insights = await GgufInsights.from(fileInfo, options.llama);
  const gpuLayers = options.gpu ? insights.totalLayers : 0;
  const sequences = Math.max(1, options.sequences ?? 1);
  const trainContextSize = insights.trainContextSize ?? options.contextSize;
  const contextSize = Math.max(1, Math.min(options.contextSize, trainContextSize));
  // The synchronous estimators are pure arithmetic over the header; the V2 ones simulate a load.
  const model = insights.estimateModelResourceRequirements({ gpuLayers });
  const context = insights.estimateContextResourceRequirements({ contextSize, sequences, modelGpuLayers: gpuLayers });
  const weightsBytes = model.cpuRam + model.gpuVram;
  const kvCacheBytes = context.cpuRam + context.gpuVram;
  return {
    weightsBytes,
    kvCacheBytes,
    totalBytes: weightsBytes + kvCacheBytes,
    gpuBytes: model.gpuVram + context.gpuVram,
    contextSize,
    sequences,
  };
}

/** Memory free now. `vramBytes` is free dedicated VRAM, or null without a GPU (or unknown). */
export interface FreeMemory {
  readonly ramBytes: number;
  readonly vramBytes: number | null;
  /** Apple Silicon: the GPU uses system memory, so RAM and VRAM are one pool. */
  readonly unifiedMemory: boolean;
}

/** Where a model that fits will live. */
export type Placement = "vram" | "unified" | "partial-offload" | "ram";

/** The answer of {@link checkFits}. */
export interface FitResult {
  readonly fits: boolean;
  /** Null when it does not fit. */
  readonly placement: Placement | null;
  readonly reason: string;
}

/** Margins of {@link checkFits}. */
export interface FitMargins {
  readonly memory?: SafetyMargin;
  readonly vram?: SafetyMargin;
}

/**
 * Whether `estimate` fits in `free` memory with a safety margin, with a sentence:
 * "Needs 6.2 GB with a 2048-token context; 3.1 GB free. Choose a smaller model or context."
 */
export function checkFits(estimate: MemoryEstimate, free: FreeMemory, margins: FitMargins = {}): FitResult {
  const memoryMargin = margins.memory ?? MEMORY_SAFETY_MARGIN;
  const vramMargin = margins.vram ?? VRAM_SAFETY_MARGIN;
  const need = estimate.totalBytes;
  const what = `${formatBytes(need)} with a ${estimate.contextSize}-token context${estimate.sequences > 1 ? ` and ${estimate.sequences} sequences` : ""}`;

  if (free.unifiedMemory) {
    // One pool: the smaller of what the OS can give without swapping and the GPU's working-set limit.
    const pool = free.vramBytes === null ? free.ramBytes : Math.min(free.ramBytes, free.vramBytes);
    const required = withMargin(need, memoryMargin);
    if (required <= pool) return { fits: true, placement: "unified", reason: `Fits: needs ${what}; ${formatBytes(pool)} of unified memory free.` };
    return refuse(what, pool, "of unified memory", need, required);
  }

  if (estimate.gpuBytes > 0 && free.vramBytes !== null) {
    const cpuPart = need - estimate.gpuBytes;
    const inVram = withMargin(estimate.gpuBytes, vramMargin) <= free.vramBytes && (cpuPart === 0 || withMargin(cpuPart, memoryMargin) <= free.ramBytes);
    if (inVram) return { fits: true, placement: "vram", reason: `Fits: needs ${what}; ${formatBytes(free.vramBytes)} of VRAM free.` };
    // Layers that do not fit in VRAM run from system memory: slower, but it works.
    const spare = Math.max(0, free.vramBytes - vramMargin.bytes);
    const rest = withMargin(Math.max(0, need - spare), memoryMargin);
    if (rest <= free.ramBytes) {
      return {
        fits: true,
        placement: "partial-offload",
        reason: `Fits partly in VRAM: needs ${what}; ${formatBytes(free.vramBytes)} of VRAM and ${formatBytes(free.ramBytes)} of memory free, so some layers run on the CPU.`,
      };
    }
    return refuse(what, free.vramBytes + free.ramBytes, "of VRAM and memory", need, spare + rest);
  }

  const required = withMargin(need, memoryMargin);
  if (required <= free.ramBytes) return { fits: true, placement: "ram", reason: `Fits: needs ${what}; ${formatBytes(free.ramBytes)} of memory free.` };
  return refuse(what, free.ramBytes, "", need, required);
}

function refuse(what: string, freeBytes: number, pool: string, need: number, required: number): FitResult {
  const freeText = `${formatBytes(freeBytes)}${pool ? ` ${pool}` : ""} free`;
  // When the model itself would squeeze in, say that it is the safety margin that does not.
  const needText = need <= freeBytes ? `${what} plus a ${formatBytes(required - need)} safety margin` : what;
  return { fits: false, placement: null, reason: `Needs ${needText}; ${freeText}. Choose a smaller model or context.` };
}

function withMargin(bytes: number, margin: SafetyMargin): number {
  return Math.ceil(bytes * (1 + margin.fraction) + margin.bytes);
}

/** Thrown by {@link loadGuard}; its message is the sentence to show. */
export class InsufficientMemoryError extends Error {
  constructor(
    message: string,
    readonly estimate: MemoryEstimate,
  ) {
    super(message);
    this.name = "InsufficientMemoryError";
  }
}

/** Input of {@link loadGuard}. */
export interface LoadGuardInput extends EstimateOptions {
  readonly modelPath: string;
  /** Memory free now (see `readFreeMemory` in machine-profile.ts). */
  readonly free: FreeMemory;
  readonly margins?: FitMargins;
}

/**
 * Checks, before a model is loaded, that it fits in free memory; rejects with
 * {@link InsufficientMemoryError} (the reason as its message) when it does not.
 */
export async function loadGuard(input: LoadGuardInput): Promise<{ estimate: MemoryEstimate; fit: FitResult }> {
  const estimate = await estimateModelMemory(input.modelPath, input);
  const fit = checkFits(estimate, input.free, input.margins);
  if (!fit.fits) throw new InsufficientMemoryError(fit.reason, estimate);
  return { estimate, fit };
}

/** "6.2 GB", "32 GB", "512 MB", "12 KB": binary units, as operating systems show memory. */
export function formatBytes(bytes: number): string {
  const value = Math.max(0, bytes);
  if (value >= 10 * GIB) return `${Math.round(value / GIB)} GB`;
  if (value >= GIB) return `${(value / GIB).toFixed(1)} GB`;
  if (value >= MIB) return `${Math.round(value / MIB)} MB`;
  return `${Math.max(1, Math.ceil(value / KIB))} KB`;
}
