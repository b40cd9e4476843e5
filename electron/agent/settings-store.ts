/**
 * Where the owner's settings persist. The agent sees {@link SettingsStore}; headless it is
 * backed by `conf` (a JSON file in the data folder), in the desktop app by electron-store with
 * the same schema, and in tests by memory.
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

/** Settings in `<dir>/settings.json` through conf. A damaged file falls back to defaults. */
export class ConfSettingsStore extends NotifyingStore {
  private readonly conf: Conf<Settings>;
  constructor(dir: string) {
    super();
    this.conf = new Conf<Settings>({ cwd: dir, configName: "settings", projectName: "offpeak", clearInvalidConfig: true });
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
