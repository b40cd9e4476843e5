/**
 * The desktop app's electron-store settings, through the fake `electron` module: the same
 * settings.json, schema and errors as the headless conf store, and no IPC channel left open.
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DEFAULT_SETTINGS } from "../../shared/settings";
import { ConfSettingsStore } from "../agent/settings-store";
import { createFakeElectron, type FakeElectron } from "../../tests/fake-electron/electron";
import type * as ElectronSettings from "./settings-store-electron";

let fake: FakeElectron;
let electronSettings: typeof ElectronSettings;
let dataDir: string;
let userData: string;

beforeEach(async () => {
  fake = createFakeElectron();
  dataDir = await mkdtemp(path.join(tmpdir(), "offpeak-estore-data-"));
  userData = await mkdtemp(path.join(tmpdir(), "offpeak-estore-userdata-"));
  fake.app.paths.userData = userData;
  vi.resetModules();
  // electron-store reads the default export (`import electron from "electron"`).
  vi.doMock("electron", () => ({ ...fake.module, default: fake.module }));
  electronSettings = await import("./settings-store-electron");
});

afterEach(async () => {
  vi.doUnmock("electron");
  await rm(dataDir, { recursive: true, force: true });
  await rm(userData, { recursive: true, force: true });
});

const settingsFile = () => path.join(dataDir, "settings.json");

describe("electron-store settings", () => {
  it("write settings.json in the data folder, which the headless store reads, and the other way round", () => {
    const desktop = electronSettings.createElectronSettingsStore(dataDir);
    expect(desktop.path).toBe(settingsFile());
    expect(desktop.get()).toEqual(DEFAULT_SETTINGS);
    desktop.update({ sharing: false, idleUnloadMinutes: 5, desktop: { ...DEFAULT_SETTINGS.desktop, launchAtLogin: true } });
    expect(JSON.parse(readFileSync(settingsFile(), "utf8"))).toMatchObject({ sharing: false, idleUnloadMinutes: 5 });
    // Not electron-store's default folder.
    expect(existsSync(path.join(userData, "config.json"))).toBe(false);
    expect(existsSync(path.join(userData, "settings.json"))).toBe(false);

    const headless = new ConfSettingsStore(dataDir);
    expect(headless.path).toBe(settingsFile());
    expect(headless.get()).toEqual(desktop.get());
    expect(headless.get().desktop.launchAtLogin).toBe(true);

    headless.update({ sharing: true, parallelSequences: 2 });
    expect(desktop.get()).toMatchObject({ sharing: true, parallelSequences: 2, idleUnloadMinutes: 5 });
    expect(electronSettings.createElectronSettingsStore(dataDir).get()).toEqual(headless.get());
  });

  it("leaves no electron-store IPC listener and no extra IPC handler behind", () => {
    electronSettings.createElectronSettingsStore(dataDir);
    expect(fake.listenerChannels()).not.toContain(electronSettings.ELECTRON_STORE_CHANNEL);
    expect(fake.listenerChannels()).toEqual([]);
    expect(fake.handlerChannels()).toEqual([]);
  });

  it("refuse an invalid patch with a readable error and leave the file as it was", () => {
    const store = electronSettings.createElectronSettingsStore(dataDir);
    store.update({ idleUnloadMinutes: 7 });
    const before = readFileSync(settingsFile(), "utf8");
    const seen: unknown[] = [];
    store.onChange((s) => seen.push(s));
    expect(() => store.update({ parallelSequences: 0 })).toThrow(/parallelSequences/);
    expect(() => store.update({ desktop: { ...DEFAULT_SETTINGS.desktop, updateFeedUrl: "http://example.com/feed" } })).toThrow(/https:\/\//);
    expect(readFileSync(settingsFile(), "utf8")).toBe(before);
    expect(seen).toEqual([]);
    expect(store.get()).toMatchObject({ idleUnloadMinutes: 7, parallelSequences: 1 });
  });

  it("treat a damaged file as the headless store does: defaults, then a clean write", async () => {
    for (const damaged of ["{ this is not json", JSON.stringify({ sharing: "maybe", parallelSequences: -3 })]) {
      await writeFile(settingsFile(), damaged);
      const desktop = electronSettings.createElectronSettingsStore(dataDir);
      const headless = new ConfSettingsStore(dataDir);
      expect(desktop.get()).toEqual(DEFAULT_SETTINGS);
      expect(headless.get()).toEqual(DEFAULT_SETTINGS);
      desktop.update({ sharing: false });
      expect(new ConfSettingsStore(dataDir).get()).toEqual({ ...DEFAULT_SETTINGS, sharing: false });
    }
  });
});
