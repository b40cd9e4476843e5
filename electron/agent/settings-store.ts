/**
 * Where the owner's settings persist. The agent sees {@link SettingsStore}; it is backed by one
 * `settings.json` in the data folder with one zod schema: through `conf` headless, through
 * electron-store (a subclass of conf, built in electron/main/settings-store-electron.ts) in the
 * desktop app, and by memory in tests.
 */
import Conf from "conf";
import { applySettingsPatch, DEFAULT_SETTINGS, settingsSchema, type Settings } from "../../shared/settings";

/** Persistent settings with change notification. */
export interface SettingsStore {
  get(): Settings;
  /** Validates and stores a patch; returns the new settings or throws a readable error. */
  update(patch: Partial<Settings>): Settings;
  onChange(listener: (settings: Settings) => void): () => void;
}

abstract class NotifyingStore implements SettingsStore {
  private readonly listeners = new Set<(settings: Settings) => void>();
  abstract get(): Settings;
  protected abstract write(settings: Settings): void;

  update(patch: Partial<Settings>): Settings {
    const next = applySettingsPatch(this.get(), patch);
    this.write(next);
    for (const listener of this.listeners) listener(next);
    return next;
  }

  onChange(listener: (settings: Settings) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** Settings kept in memory (tests, and a node run with no data folder). */
export class MemorySettingsStore extends NotifyingStore {
  private settings: Settings;
  constructor(initial: Partial<Settings> = {}) {
    super();
    this.settings = applySettingsPatch(DEFAULT_SETTINGS, initial);
  }
  get(): Settings {
    return this.settings;
  }
  protected write(settings: Settings): void {
    this.settings = settings;
  }
}

/** The settings file's conf options: `<dir>/settings.json`, read as empty when it is not JSON. */
export function settingsFileOptions(dir: string) {
  return { cwd: dir, configName: "settings", projectName: "offpeak", clearInvalidConfig: true } as const;
}

/**
 * Settings in `<dir>/settings.json` through conf, or through a conf instance made elsewhere (the
 * desktop app's electron-store on the same file). A damaged file falls back to defaults.
 */
export class ConfSettingsStore extends NotifyingStore {
  private readonly conf: Conf<Settings>;
  constructor(source: string | Conf<Settings>) {
    super();
    this.conf = typeof source === "string" ? new Conf<Settings>(settingsFileOptions(source)) : source;
  }
  get(): Settings {
    const parsed = settingsSchema.safeParse(this.conf.store);
    return parsed.success ? parsed.data : DEFAULT_SETTINGS;
  }
  protected write(settings: Settings): void {
    this.conf.store = settings;
  }
  /** Where the file is. */
  get path(): string {
    return this.conf.path;
  }
}
