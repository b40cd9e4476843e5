/**
 * The headless sources of each platform (no Electron): what the node agent and the CLI sample.
 *
 * | signal     | Linux                         | macOS              | Windows                     |
 * |------------|-------------------------------|--------------------|-----------------------------|
 * | idle       | xprintidle (X11) or logind    | ioreg HIDIdleTime  | — (desktop app only)        |
 * | battery    | /sys/class/power_supply       | — (desktop app)    | — (desktop app)             |
 * | thermal    | from the GPU temperature      | — (desktop app)    | from the GPU temperature    |
 * | processes  | /proc                         | ps                 | tasklist + Steam registry   |
 * | fullscreen | xprop (X11)                   | —                  | —                           |
 * | GPU        | nvidia-smi                    | —                  | nvidia-smi                  |
 * | memory     | os.freemem (MemAvailable)     | vm_stat            | os.freemem                  |
 */
import { availableMemoryBytes } from "../models/machine-profile";
import { createIdleSource } from "./idle-time";
import { createNvidiaGpuSource } from "./nvidia-gpu";
import { createSysfsBatterySource } from "./power-supply";
import { createProcessSource } from "./process-list";
import { createCommandRunner, type RunCommand } from "./run-command";
import { unavailableSources, type MemorySource, type SignalSources } from "./signal-sources";
import { createSteamRegistrySource } from "./steam-registry";
import { createX11FullscreenSource } from "./x11-fullscreen";

/** Options of {@link createPlatformSources}; every one has a real default. */
export interface PlatformSourceOptions {
  readonly platform?: NodeJS.Platform;
  readonly run?: RunCommand;
  readonly now?: () => number;
  readonly env?: NodeJS.ProcessEnv;
  /** The `/proc` tree (Linux). */
  readonly procRoot?: string;
  /** The power-supply folder (Linux). */
  readonly powerSupplyRoot?: string;
  /** Free memory the OS can hand out, in bytes. */
  readonly readFreeMemory?: () => Promise<number>;
}

/** The memory source over a reader; a failing reader means unavailable. */
export function createMemorySource(read: () => Promise<number>): MemorySource {
  return {
    freeMemoryBytes: async () => {
      try {
        const bytes = await read();
        return Number.isFinite(bytes) && bytes >= 0 ? bytes : null;
      } catch {
        return null;
      }
    },
  };
}

/** The headless sources of a platform (see the table in the file comment). */
export function createPlatformSources(options: PlatformSourceOptions = {}): SignalSources {
  const platform = options.platform ?? process.platform;
  const run = options.run ?? createCommandRunner();
  const now = options.now ?? Date.now;
  const env = options.env ?? process.env;
  const memory = createMemorySource(options.readFreeMemory ?? (() => availableMemoryBytes(platform)));
  const processes = createProcessSource(platform, run, options.procRoot);
  const idle = createIdleSource({ platform, run, now, env });
  switch (platform) {
    case "linux":
      return {
        ...unavailableSources,
        idle,
        battery: createSysfsBatterySource(options.powerSupplyRoot),
        processes,
        fullscreen: createX11FullscreenSource(run, env),
        gpu: createNvidiaGpuSource(run),
        memory,
      };
    case "darwin":
      return { ...unavailableSources, idle, processes, memory };
    case "win32":
      return { ...unavailableSources, processes, gpu: createNvidiaGpuSource(run), memory, steam: createSteamRegistrySource(run) };
    default:
      return { ...unavailableSources, memory };
  }
}
