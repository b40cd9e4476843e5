/**
 * Entry of the Electron main process: the private network on this machine (embedded coordinator
 * plus this node) behind a tray icon and the Offpeak window.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { app, powerMonitor } from "electron";
import electronUpdater from "electron-updater";
import { resolveDataDir } from "../agent/data-dir";
import { startLocalNetwork } from "../agent/local-network";
import { startDesktopApp, type DesktopAgent } from "./desktop-app";
import { createPowerMonitorSources, watchPowerEvents } from "./power-signals";
import { UtilityProcessSpawner } from "./utility-process-spawner";
import { createConsoleLogger } from "../cli/console-logger";
import { createFileLogger, teeLogger } from "./log-file";
import { createElectronSettingsStore } from "./settings-store-electron";

// This file is electron/main/main.ts; the built preload and renderer are under dist/.
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const dataDir = resolveDataDir(process.env.OFFPEAK_DATA_DIR);
const logDir = path.join(dataDir, "logs");
const level = process.env.OFFPEAK_DEBUG ? "debug" : "info";
const logger = teeLogger(createConsoleLogger(level), createFileLogger({ dir: logDir, minLevel: level }));
// electron-store on the data folder's settings.json: one file for the desktop app and
// `offpeak node`, watched here for the desktop preferences.
const settings = createElectronSettingsStore(dataDir);

/** The local network with powerMonitor's signals; a power or lock event re-samples at once. */
async function startAgent(): Promise<DesktopAgent> {
  const network = await startLocalNetwork({
    dataDir,
    settings,
    modelPath: process.env.OFFPEAK_MODEL,
    port: process.env.OFFPEAK_PORT ? Number(process.env.OFFPEAK_PORT) : undefined,
    logger,
    // Used where the OS offers no sandbox command to wrap the worker in (see node-host.ts).
    spawner: new UtilityProcessSpawner({ logger }),
    signalSources: createPowerMonitorSources(powerMonitor),
  });
  const stopWatching = watchPowerEvents(powerMonitor, () => network.pokeSharing());
  return {
    control: network.control,
    async stop() {
      stopWatching();
      await network.stop();
    },
  };
}

startDesktopApp({
  startAgent: () => startAgent(),
  preloadPath: path.join(repoRoot, "dist", "electron", "preload.cjs"),
  indexFile: path.join(repoRoot, "dist", "renderer", "index.html"),
  trayImagesDir: path.join(repoRoot, "resources", "tray"),
  logger,
  services: { settings, logDir, updater: electronUpdater.autoUpdater },
})
  .then((desktop) => {
    // A handle in the main process only (never the page): the tray's snapshot for e2e/electron.spec.ts
    // and for debugging with the main process's inspector.
    (globalThis as { offpeakDesktop?: unknown }).offpeakDesktop = desktop;
  })
  .catch((error: unknown) => {
    logger.error("Offpeak could not start", { error: String(error) });
    app.exit(1);
  });
