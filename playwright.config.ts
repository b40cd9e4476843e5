/**
 * Browser and Electron end-to-end tests. In a browser they use the system Chromium when there is
 * one (CHROMIUM_PATH, else /usr/bin/chromium), otherwise Playwright's own.
 */
import { existsSync } from "node:fs";
import { defineConfig } from "@playwright/test";

const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
// The nodes the specs start (`offpeak up`) keep throwaway keys in a file: the machine may have no
// Secret Service. The keychain has tests of its own (tests/wallet-*.test.ts).
process.env.OFFPEAK_KEY_STORE ??= "file";

export const config = defineConfig({
  testDir: "e2e",
  // Reserves the folder of the renderer build the browser specs share (e2e/support/renderer-build.ts).
  globalSetup: "./e2e/support/global-setup.ts",
  outputDir: "test-results",
  workers: 1,
  timeout: 60_000,
  reporter: [["list"]],
  use: {
    browserName: "chromium",
    headless: true,
    screenshot: "on",
    trace: "retain-on-failure",
    launchOptions: {
      ...(existsSync(chromiumPath) ? { executablePath: chromiumPath } : {}),
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    },
  },
});

// Playwright loads a config file's default export.
export default config;
