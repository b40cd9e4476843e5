/**
 * The {@link SignalSampler} that composes the sources into the shared {@link Signals}: it reads
 * every source at once, finds the game and the owner's apps in the process list, tells another
 * program's GPU use from our own worker's, and takes the worse of the OS thermal state and the
 * GPU temperature's. A source that fails or throws counts as unavailable for that sample.
 *
 * `availability()` reports what the latest sample found available (before the first sample:
 * only what needs no probing, the process list and memory), so it always agrees with the values
 * — a signal is null exactly when it is unavailable.
 */
import type { Logger } from "../../../shared/logger";
import { silentLogger } from "../../../shared/logger";
import type { SignalAvailability, Signals, ThermalState } from "../../../shared/sharing-types";
import { detectGame, findOwnApp } from "./game-detection";
import { thermalFromGpuTemperature } from "./nvidia-gpu";
import { createPlatformSources, type PlatformSourceOptions } from "./platform-sources";
import type { SignalSampler } from "./signal-sampler";
import type { GpuReading, SignalSources } from "./signal-sources";

/** At or above this GPU utilisation (%) with no process of ours on the GPU, another program is using it. */
export const DEFAULT_GPU_BUSY_PERCENT = 40;

/** Options of {@link createSignalSampler}. */
export interface SignalSamplerOptions {
  readonly platform?: NodeJS.Platform;
  /** Now, epoch ms. */
  readonly now?: () => number;
  /** The owner's IANA time zone; defaults to the system's. */
  readonly timeZone?: () => string;
  /** The owner's own apps (rules.ownApps), read at each sample. */
  readonly ownApps: () => readonly string[];
  /** Our own processes (the inference worker), whose GPU use does not count. */
  readonly excludePids: () => readonly number[];
  /** Replaces some of the platform's sources (the desktop app's powerMonitor, fakes in tests). */
  readonly sources?: Partial<SignalSources>;
  /** How the platform's own sources are built (command runner, fake trees). */
  readonly platformSources?: Omit<PlatformSourceOptions, "platform" | "now">;
  readonly gpuBusyPercent?: number;
  readonly logger?: Logger;
}

const THERMAL_ORDER: readonly ThermalState[] = ["nominal", "fair", "serious", "critical"];

/** The worse of two thermal states; null only when both are unknown. */
export function worseThermal(a: ThermalState | null, b: ThermalState | null): ThermalState | null {
  if (a === null) return b;
  if (b === null) return a;
  return THERMAL_ORDER.indexOf(a) >= THERMAL_ORDER.indexOf(b) ? a : b;
}

/** The program using the GPU other than ours, or null (see {@link DEFAULT_GPU_BUSY_PERCENT}). */
export function gpuBusyBy(reading: GpuReading, excludePids: readonly number[], busyPercent: number = DEFAULT_GPU_BUSY_PERCENT): string | null {
  const ours = new Set(excludePids);
  const other = reading.processes.find((p) => !ours.has(p.pid));
  if (other) return /^\[|^$/.test(other.name) ? "Another program" : other.name.replace(/\.exe$/i, "");
  const weAreOnIt = reading.processes.some((p) => ours.has(p.pid));
  const busy = reading.utilizationPercent !== null && reading.utilizationPercent >= busyPercent;
  return busy && !weAreOnIt ? `Another program (GPU ${reading.utilizationPercent}% busy)` : null;
}

/** The system's IANA time zone. */
export function systemTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** Creates the sampler over the platform's sources, with any of them replaced. */
export function createSignalSampler(options: SignalSamplerOptions): SignalSampler {
  const platform = options.platform ?? process.platform;
  const now = options.now ?? Date.now;
  const timeZone = options.timeZone ?? systemTimeZone;
  const logger = options.logger ?? silentLogger;
  const sources: SignalSources = {
    ...createPlatformSources({ ...options.platformSources, platform, now }),
    ...options.sources,
  };
  let available: SignalAvailability = {
    idle: false,
    battery: false,
    thermal: false,
    processes: platform === "linux" || platform === "darwin" || platform === "win32",
    fullscreen: false,
    gpu: false,
    memory: true,
  };

  const safely = async <T>(name: string, read: () => Promise<T | null>): Promise<T | null> => {
    try {
      return await read();
    } catch (error) {
      logger.debug("signal source failed", { source: name, error: error instanceof Error ? error.message : String(error) });
      return null;
    }
  };

  return {
    availability: () => ({ ...available }),
    async sample(): Promise<Signals> {
      const [idleSeconds, onBattery, osThermal, processes, fullscreen, gpu, freeMemoryBytes, steamApp] = await Promise.all([
        safely("idle", () => sources.idle.idleSeconds()),
        safely("battery", () => sources.battery.onBattery()),
        safely("thermal", () => sources.thermal.thermal()),
        safely("processes", () => sources.processes.list()),
        safely("fullscreen", () => sources.fullscreen.fullscreenApp()),
        safely("gpu", () => sources.gpu.read()),
        safely("memory", () => sources.memory.freeMemoryBytes()),
        safely("steam", () => sources.steam.runningApp()),
      ]);
      const thermal = worseThermal(osThermal, thermalFromGpuTemperature(gpu?.temperatureC ?? null));
      const signals: Signals = {
        now: now(),
        timeZone: timeZone(),
        idleSeconds: idleSeconds === null || !Number.isFinite(idleSeconds) ? null : Math.max(0, idleSeconds),
        onBattery,
        thermal,
        game: detectGame(processes ?? [], steamApp),
        processesKnown: processes !== null,
        fullscreenApp: fullscreen?.app ?? null,
        fullscreenKnown: fullscreen !== null,
        gpuBusyBy: gpu ? gpuBusyBy(gpu, options.excludePids(), options.gpuBusyPercent) : null,
        gpuKnown: gpu !== null,
        ownAppRunning: processes ? findOwnApp(processes, options.ownApps()) : null,
        freeMemoryBytes,
      };
      available = {
        idle: signals.idleSeconds !== null,
        battery: signals.onBattery !== null,
        thermal: signals.thermal !== null,
        processes: signals.processesKnown,
        fullscreen: signals.fullscreenKnown,
        gpu: signals.gpuKnown,
        memory: signals.freeMemoryBytes !== null,
      };
      return signals;
    },
  };
}
