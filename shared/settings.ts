/**
 * The owner's settings: one schema and one file (`<data-dir>/settings.json`) for the desktop app
 * (electron-store) and headless (conf).
 * Every field has a default, so a settings file from an older version still parses.
 */
import { z } from "zod";
import { sharingRulesSchema } from "./sharing-types";

/** Which desktop notifications the owner wants (each can be switched off in Settings). */
export const notificationSettingsSchema = z.object({
  /** "First earnings today: $0.02". */
  firstEarningsOfDay: z.boolean().default(true),
  /** "Paused: Cyberpunk 2077 is running". */
  pausedForGame: z.boolean().default(true),
  /** A withdrawal confirmed on chain, or failed and refunded. */
  withdrawals: z.boolean().default(true),
});
export type NotificationSettings = z.infer<typeof notificationSettingsSchema>;

/** Preferences only the desktop app acts on; the headless node keeps them untouched. */
export const desktopSettingsSchema = z.object({
  /** Start Offpeak when the owner logs in. Off until the owner turns it on. */
  launchAtLogin: z.boolean().default(false),
  notifications: notificationSettingsSchema.prefault({}),
  /** Where the app looks for updates (OFFPEAK_UPDATE_URL wins); null: no automatic updates. */
  updateFeedUrl: z.url({ protocol: /^https$/, error: "must be an https:// address" }).max(2000).nullable().default(null),
});
export type DesktopSettings = z.infer<typeof desktopSettingsSchema>;

/** A change to the desktop preferences: the whole object, as the Settings page shows it. */
const desktopPatchSchema = z
  .object({
    launchAtLogin: z.boolean(),
    notifications: z.object({ firstEarningsOfDay: z.boolean(), pausedForGame: z.boolean(), withdrawals: z.boolean() }).strict(),
    updateFeedUrl: desktopSettingsSchema.shape.updateFeedUrl.removeDefault(),
  })
  .strict();

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
  /** True once the owner finished (or skipped) the first-run setup. */
  onboarded: z.boolean().default(false),
  desktop: desktopSettingsSchema.prefault({}),
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
    onboarded: settingsSchema.shape.onboarded.removeDefault().optional(),
    /** The whole desktop object, like rules. */
    desktop: desktopPatchSchema.optional(),
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
