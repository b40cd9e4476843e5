/**
 * The small sources a {@link SignalSampler} reads, one per signal. Each answers null when the
 * signal is not available on this machine (a program missing, a file unreadable, a platform that
 * has no such thing), so the sampler can say so rather than pretend.
 */
import type { ThermalState } from "../../../shared/sharing-types";

/** Seconds since the last keyboard or mouse input. */
export interface IdleSource {
  idleSeconds(): Promise<number | null>;
}

/** Whether the machine runs on its battery. */
export interface BatterySource {
  onBattery(): Promise<boolean | null>;
}

/** The OS's thermal state (macOS); other platforms derive it from the GPU temperature. */
export interface ThermalSource {
  thermal(): Promise<ThermalState | null>;
}

/** One running process. */
export interface ProcessInfo {
  readonly pid: number;
  /** The executable's name as the OS lists it ("Cyberpunk2077.exe", "Blender"). */
  readonly name: string;
  /** The executable's path, where the platform gives it cheaply. */
  readonly exePath: string | null;
  /** The whole command line, where the platform gives it cheaply. */
  readonly commandLine: string | null;
}

/** The running processes. */
export interface ProcessSource {
  list(): Promise<readonly ProcessInfo[] | null>;
}

/** The app shown full screen; `app` is null when none is. */
export interface FullscreenSource {
  fullscreenApp(): Promise<{ readonly app: string | null } | null>;
}

/** A process holding GPU memory. */
export interface GpuProcess {
  readonly pid: number;
  readonly name: string;
  readonly usedMemoryMiB: number | null;
}

/** What the GPU driver reports: hottest temperature, highest utilisation, its compute processes. */
export interface GpuReading {
  readonly temperatureC: number | null;
  readonly utilizationPercent: number | null;
  readonly processes: readonly GpuProcess[];
}

/** The GPU's state. */
export interface GpuSource {
  read(): Promise<GpuReading | null>;
}

/** Memory the OS can hand out without swapping, in bytes. */
export interface MemorySource {
  freeMemoryBytes(): Promise<number | null>;
}

/** The game Steam says is running (Windows registry), by app id and, when found, its name. */
export interface SteamSource {
  runningApp(): Promise<{ readonly appId: number; readonly name: string | null } | null>;
}

/** Every source the sampler reads. */
export interface SignalSources {
  readonly idle: IdleSource;
  readonly battery: BatterySource;
  readonly thermal: ThermalSource;
  readonly processes: ProcessSource;
  readonly fullscreen: FullscreenSource;
  readonly gpu: GpuSource;
  readonly memory: MemorySource;
  readonly steam: SteamSource;
}

/** Sources that are never available, for platforms without them. */
export const unavailableSources: SignalSources = {
  idle: { idleSeconds: async () => null },
  battery: { onBattery: async () => null },
  thermal: { thermal: async () => null },
  processes: { list: async () => null },
  fullscreen: { fullscreenApp: async () => null },
  gpu: { read: async () => null },
  memory: { freeMemoryBytes: async () => null },
  steam: { runningApp: async () => null },
};
