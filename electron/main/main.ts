/**
 * Entry of the Electron main process: the private network on this machine (embedded coordinator
 * plus this node) behind a tray icon and the Offpeak window.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { app } from "electron";
import { startLocalNetwork } from "../agent/local-network";
import { startDesktopApp } from "./desktop-app";
import { UtilityProcessSpawner } from "./utility-process-spawner";
import { createConsoleLogger } from "../cli/console-logger";

// This file is electron/main/main.ts; the built preload and renderer are under dist/.
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const logger = createConsoleLogger(process.env.OFFPEAK_DEBUG ? "debug" : "info");

startDesktopApp({
  startAgent: () =>
    startLocalNetwork({
      dataDir: process.env.OFFPEAK_DATA_DIR,
      modelPath: process.env.OFFPEAK_MODEL,
      port: process.env.OFFPEAK_PORT ? Number(process.env.OFFPEAK_PORT) : undefined,
      logger,
      // Used where the OS offers no sandbox command to wrap the worker in (see node-host.ts).
      spawner: new UtilityProcessSpawner({ logger }),
    }),
  preloadPath: path.join(repoRoot, "dist", "electron", "preload.cjs"),
  indexFile: path.join(repoRoot, "dist", "renderer", "index.html"),
  trayImagesDir: path.join(repoRoot, "resources", "tray"),
  logger,
}).catch((error: unknown) => {
  logger.error("Offpeak could not start", { error: String(error) });
  app.exit(1);
});
