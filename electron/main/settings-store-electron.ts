/**
 * The desktop app's settings store: electron-store on the data folder's `settings.json`, with the
 * options the headless node gives conf, so the app and `offpeak node` share one file and schema.
 */
import { ipcMain } from "electron";
import ElectronStore from "electron-store";
import type { Settings } from "../../shared/settings";
import { ConfSettingsStore, settingsFileOptions } from "../agent/settings-store";

/** The channel electron-store's constructor listens on (node_modules/electron-store/index.js). */
export const ELECTRON_STORE_CHANNEL = "electron-store-get-data";

/**
 * Opens `<dataDir>/settings.json` through electron-store in the main process.
 *
 * electron-store answers {@link ELECTRON_STORE_CHANNEL} for any renderer that opens a store of its
 * own. Ours cannot: the window is sandboxed with contextIsolation and the preload exposes only the
 * typed ControlApi, no ipcRenderer. The listener is removed anyway, so the only channels the main
 * process answers are ControlApi's, each behind its sender check (ipc.ts).
 */
export function createElectronSettingsStore(dataDir: string): ConfSettingsStore {
  const { configName, projectName: _projectName, ...options } = settingsFileOptions(dataDir);
  // `cwd` is absolute, so electron-store does not put the file under userData; `name` is its
  // word for conf's configName.
  const store = new ElectronStore<Settings>({ ...options, name: configName });
  ipcMain.removeAllListeners(ELECTRON_STORE_CHANNEL);
  return new ConfSettingsStore(store);
}
