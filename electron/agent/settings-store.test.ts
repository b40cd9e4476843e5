import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS } from "../../shared/settings";
import { ConfSettingsStore, MemorySettingsStore } from "./settings-store";

describe("settings", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "offpeak-settings-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("persist across restarts in the data folder", () => {
    const first = new ConfSettingsStore(dir);
    expect(first.get()).toEqual(DEFAULT_SETTINGS);
    first.update({ sharing: false, idleUnloadMinutes: 5 });
    const second = new ConfSettingsStore(dir);
    expect(second.get()).toMatchObject({ sharing: false, idleUnloadMinutes: 5, allowUnsandboxed: false });
  });

  it("refuse a bad value with a readable error and keep the old one", () => {
    const store = new MemorySettingsStore();
    expect(() => store.update({ parallelSequences: 0 })).toThrow(/parallelSequences/);
    expect(store.get().parallelSequences).toBe(1);
  });

  it("notify listeners of each change", () => {
    const store = new MemorySettingsStore();
    const seen: boolean[] = [];
    const off = store.onChange((s) => seen.push(s.sharing));
    store.update({ sharing: false });
    off();
    store.update({ sharing: true });
    expect(seen).toEqual([false]);
  });

  it("fall back to defaults from a damaged file", async () => {
    await writeFile(join(dir, "settings.json"), "{ this is not json");
    const store = new ConfSettingsStore(dir);
    expect(store.get()).toEqual(DEFAULT_SETTINGS);
    store.update({ sharing: false });
    expect(new ConfSettingsStore(dir).get().sharing).toBe(false);
  });
});
