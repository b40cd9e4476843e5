/**
 * The owner's sharing rules, the signals the node samples, and the decision the sharing policy
 * draws from them. Schemas here, the pure policy in sharing-policy.ts.
 */
import { z } from "zod";

export const sharingModeSchema = z.enum(["off", "always", "idle", "schedule", "idle-in-schedule"]);
export type SharingMode = z.infer<typeof sharingModeSchema>;

/**
 * One weekly window in the owner's local time: a day (0 = Sunday … 6 = Saturday) and minutes
 * from that day's midnight. A window may run past midnight into the next day (end > 1440 is not
 * allowed; write two windows instead).
 */
export const weeklyWindowSchema = z
  .object({
    day: z.number().int().min(0).max(6),
    startMinute: z.number().int().min(0).max(1439),
    endMinute: z.number().int().min(1).max(1440),
  })
  .refine((w) => w.endMinute > w.startMinute, { message: "a window must end after it starts" });
export type WeeklyWindow = z.infer<typeof weeklyWindowSchema>;

/** The owner's rules, kept in the settings. */
export const sharingRulesSchema = z.object({
  mode: sharingModeSchema.default("always"),
  windows: z.array(weeklyWindowSchema).max(7 * 48).default([]),
  /** Minutes without keyboard or mouse input before "idle" counts. */
  idleMinutes: z.number().int().min(1).max(24 * 60).default(10),
  pauseOnBattery: z.boolean().default(true),
  /** Pause when the OS reports a serious or critical thermal state. */
  pauseWhenHot: z.boolean().default(true),
  /** Pause while a game or game launcher's game is running. */
  pauseForGames: z.boolean().default(true),
  pauseForFullscreen: z.boolean().default(true),
  /** Pause while another process uses the GPU. */
  pauseWhenGpuBusy: z.boolean().default(true),
  /** Executable names of the owner's own apps that pause sharing ("blender", "Premiere Pro"). */
  ownApps: z.array(z.string().min(1).max(200)).max(200).default([]),
  /** Keep at least this much memory free for the owner (bytes; 0 = no rule). */
  minFreeMemoryBytes: z.number().int().min(0).default(0),
  /** Paused until this time (epoch ms), or not paused. */
  pausedUntil: z.number().int().nullable().default(null),
  /** Unload the model while paused, to give the GPU's memory back. */
  freeGpuWhenPaused: z.boolean().default(false),
});
export type SharingRules = z.infer<typeof sharingRulesSchema>;

/** The thermal state as macOS reports it (other platforms: from GPU temperature, or unknown). */
export const thermalStateSchema = z.enum(["nominal", "fair", "serious", "critical"]);
export type ThermalState = z.infer<typeof thermalStateSchema>;

/** What the node sampled. `null` means the signal is not available on this platform. */
export const signalsSchema = z.object({
  /** Now, epoch ms. */
  now: z.number(),
  /** The owner's IANA time zone ("Europe/Paris"). */
  timeZone: z.string(),
  idleSeconds: z.number().nonnegative().nullable(),
  onBattery: z.boolean().nullable(),
  thermal: thermalStateSchema.nullable(),
  /** The game running, by its name ("Cyberpunk 2077"), and how it was found. */
  game: z.object({ name: z.string(), source: z.enum(["steam", "launcher", "list"]) }).nullable(),
  /** False when the process list could not be read. */
  processesKnown: z.boolean(),
  fullscreenApp: z.string().nullable(),
  fullscreenKnown: z.boolean(),
  /** Another process using the GPU (name), when known. */
  gpuBusyBy: z.string().nullable(),
  gpuKnown: z.boolean(),
  /** One of the owner's apps that is running. */
  ownAppRunning: z.string().nullable(),
  freeMemoryBytes: z.number().nonnegative().nullable(),
});
export type Signals = z.infer<typeof signalsSchema>;

/** The policy's answer: share or not, a sentence a person reads, and when it may change next. */
export const sharingDecisionSchema = z.object({
  share: z.boolean(),
  reason: z.string(),
  /** When the schedule or a pause changes the answer next (epoch ms), if known. */
  nextChangeAt: z.number().nullable(),
  /** True while the owner's own pause holds sharing (what Resume ends). */
  pausedByOwner: z.boolean(),
});
export type SharingDecision = z.infer<typeof sharingDecisionSchema>;

/** Which signals this platform offers, for the UI to say so rather than pretend. */
export const signalAvailabilitySchema = z.object({
  idle: z.boolean(),
  battery: z.boolean(),
  thermal: z.boolean(),
  processes: z.boolean(),
  fullscreen: z.boolean(),
  gpu: z.boolean(),
  memory: z.boolean(),
});
export type SignalAvailability = z.infer<typeof signalAvailabilitySchema>;
