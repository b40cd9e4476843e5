/**
 * The owner's settings: one schema for the desktop app (electron-store) and headless (conf).
 * Every field has a default, so a settings file from an older version still parses.
 */
import { z } from "zod";
import { sharingRulesSchema } from "./sharing-types";

export const settingsSchema = z.object({
  /** The Share switch, as the owner last left it. */
  sharing: z.boolean().default(true),
  /**
   * Serve even where the OS sandbox for the inference worker is unavailable. Off by default;
   * when on, a warning shows wherever the node's state shows.
   */
  allowUnsandboxed: z.boolean().default(false),
  /** Unload the model after this many minutes without a job (0 = keep it loaded). */
  idleUnloadMinutes: z.number().int().min(0).max(24 * 60).default(15),
  /** Jobs the loaded model runs at once (parallel sequences), advertised as capacity. */
  parallelSequences: z.number().int().min(1).max(16).default(1),
  /** Context size per sequence, in tokens. */
  contextSize: z.number().int().min(128).max(1_048_576).default(2048),
  /** When the machine shares: mode, weekly schedule, idle, battery, heat, games, pause. */
  rules: sharingRulesSchema.prefault({}),
});
export type Settings = z.infer<typeof settingsSchema>;

/**
 * A change to some settings: the same fields and rules, without defaults, so a key the patch
 * leaves out stays as it is (zod fills defaults even inside `.partial()`). Unknown keys are refused.
 */
export const settingsPatchSchema = z
  .object({
    sharing: settingsSchema.shape.sharing.removeDefault().optional(),
    allowUnsandboxed: settingsSchema.shape.allowUnsandboxed.removeDefault().optional(),
    idleUnloadMinutes: settingsSchema.shape.idleUnloadMinutes.removeDefault().optional(),
    parallelSequences: settingsSchema.shape.parallelSequences.removeDefault().optional(),
    contextSize: settingsSchema.shape.contextSize.removeDefault().optional(),
    /** The whole rules object: a patch replaces it (the UI sends what it shows). */
    rules: sharingRulesSchema.optional(),
  })
  .strict();

/** The defaults of every setting. */
export const DEFAULT_SETTINGS: Settings = settingsSchema.parse({});

/** Applies a patch, validating the result; throws a readable error for a bad value. */
export function applySettingsPatch(current: Settings, patch: Partial<Settings>): Settings {
  const parsed = settingsSchema.safeParse({ ...current, ...patch });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`invalid setting ${issue?.path.join(".") ?? ""}: ${issue?.message ?? "bad value"}`);
  }
  return parsed.data;
}
