/**
 * Which compute backends the inference worker tries, in order. Pure: the caller detects the
 * platform and the GPU types node-llama-cpp can use (`getLlamaGpuTypes("supported")`), and
 * passes whether the owner allows the GPU at all.
 */

/** A GPU backend node-llama-cpp ships prebuilt binaries for. */
export type GpuBackend = "metal" | "cuda" | "vulkan";

/** One step of a plan: a GPU backend, or `false` for the CPU. */
export type BackendChoice = GpuBackend | false;

/** What {@link planBackends} decides from. */
export interface DetectedBackends {
  /** `process.platform`: "darwin", "linux", "win32", … */
  readonly platform: string;
  /** `process.arch`: "arm64", "x64", … */
  readonly arch: string;
  /** GPU types with binaries and drivers on this machine. */
  readonly available: readonly GpuBackend[];
  /** False when the owner turned the GPU off (setting, or NODE_LLAMA_CPP_GPU=false). */
  readonly gpuAllowed: boolean;
}

/** GPU types tried on Windows and Linux, best first. */
const DISCRETE_ORDER: readonly GpuBackend[] = ["cuda", "vulkan"];

/**
 * The order in which to try backends, always ending with the CPU:
 * Apple Silicon → Metal; Windows/Linux → CUDA, then Vulkan; Intel Macs and a disabled GPU → CPU.
 */
export function planBackends(detected: DetectedBackends): BackendChoice[] {
  if (!detected.gpuAllowed) return [false];
  const available = new Set(detected.available);
  if (detected.platform === "darwin") {
    // node-llama-cpp's prebuilt Intel-Mac binary has Metal off, and Macs have no CUDA/Vulkan build.
    return detected.arch === "arm64" && available.has("metal") ? ["metal", false] : [false];
  }
  return [...DISCRETE_ORDER.filter((gpu) => available.has(gpu)), false];
}

/** Values of NODE_LLAMA_CPP_GPU that turn the GPU off (node-llama-cpp's own list). */
const GPU_OFF_VALUES = new Set(["false", "off", "none", "disable", "disabled"]);

/** False when the environment (NODE_LLAMA_CPP_GPU) or the owner's setting turns the GPU off. */
export function isGpuAllowed(env: Readonly<Record<string, string | undefined>>, setting = true): boolean {
  if (!setting) return false;
  const value = env.NODE_LLAMA_CPP_GPU?.trim().toLowerCase();
  return value === undefined || !GPU_OFF_VALUES.has(value);
}

/** The name a person reads for a backend. */
export function backendLabel(choice: BackendChoice | "cpu"): string {
  switch (choice) {
    case "metal":
      return "Metal";
    case "cuda":
      return "CUDA";
    case "vulkan":
      return "Vulkan";
    default:
      return "CPU";
  }
}
