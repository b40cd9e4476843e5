/**
 * Applies the owner's desktop preferences when the app starts and whenever they change: the
 * start at login now (the notifier and the updater read theirs when they need them).
 */
import type { Logger } from "../../shared/logger";
import type { Settings } from "../../shared/settings";

/** Where settings are read and watched (the agent's SettingsStore fits). */
export interface SettingsSource {
  get(): Settings;
  onChange(listener: (settings: Settings) => void): () => void;
}

export interface DesktopSettingsEffects {
  setLaunchAtLogin(on: boolean): Promise<void>;
}

/** Applies the current preferences, then each change; returns the function that stops. */
export function followDesktopSettings(settings: SettingsSource, effects: DesktopSettingsEffects, logger: Logger): () => void {
  let applied: boolean | null = null;
  const apply = (next: Settings) => {
    const on = next.desktop.launchAtLogin;
    if (on === applied) return;
    applied = on;
    effects.setLaunchAtLogin(on).catch((error: unknown) => {
      applied = null;
      logger.warn("could not change the start at login", { on, error: String(error) });
    });
  };
  apply(settings.get());
  return settings.onChange(apply);
}
