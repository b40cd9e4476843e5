/**
 * The desktop app in Electron: a first run opens the setup in a locked-down window, the setup
 * reaches the agent through the preload bridge (Share on, start at login), the tray follows the
 * node's state, and closing the window leaves the app running in the tray. Skipped where the
 * Electron binary is not installed.
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { _electron, expect, test, type ElectronApplication, type Page } from "@playwright/test";
import { build } from "vite";
import { buildPreload } from "../electron/main/build-preload";
import { CONTROL_METHODS } from "../electron/main/ipc";
import type { TraySnapshot } from "../electron/main/tray";
import { DashboardPage } from "./pages/dashboard-page";
import { OnboardingPage } from "./pages/onboarding-page";

const repoRoot = path.resolve(import.meta.dirname, "..");
const electronDir = path.join(repoRoot, "node_modules", "electron");
const pathFile = path.join(electronDir, "path.txt");
const binaryInstalled = existsSync(pathFile) && existsSync(path.join(electronDir, "dist"));

test.skip(
  !binaryInstalled,
  "Electron cannot be installed on this machine: its binary is downloaded on first run and this machine has no access to the download host",
);

let electronApp: ElectronApplication;
let page: Page;
let dataDir: string;

test.beforeAll(async () => {
  await build({ configFile: path.join(repoRoot, "renderer", "vite.config.ts"), logLevel: "warn" });
  await buildPreload();
  dataDir = await mkdtemp(path.join(tmpdir(), "offpeak-electron-"));
  const executablePath = path.join(electronDir, "dist", readFileSync(pathFile, "utf8").trim());
  electronApp = await _electron.launch({
    executablePath,
    args: [path.join(repoRoot, "electron", "main", "entry.mjs")],
    // XDG_CONFIG_HOME: a Linux start at login writes its autostart entry here, not in the real home.
    env: { ...process.env, OFFPEAK_DATA_DIR: dataDir, NODE_LLAMA_CPP_GPU: "false", XDG_CONFIG_HOME: path.join(dataDir, "config") },
    timeout: 60_000,
  });
  page = await electronApp.firstWindow();
});

test.afterAll(async () => {
  await electronApp?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** What the tray shows, read in the main process. */
const tray = () =>
  electronApp.evaluate(() => (globalThis as unknown as { offpeakDesktop?: { tray: { snapshot(): TraySnapshot } } }).offpeakDesktop?.tray.snapshot() ?? null);

test("opens a locked-down window with only the ControlApi bridge", async () => {
  expect(await page.evaluate(() => Object.keys(window.offpeak ?? {}).sort())).toEqual([...CONTROL_METHODS, "onState"].sort());
  expect(await page.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe("undefined");
  const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute("content");
  expect(csp).toContain("default-src 'self'");
  expect(csp).not.toContain("unsafe");
  // No Node in the page (nodeIntegration off, sandboxed preload); the window's options are asserted in desktop-app.test.ts.
  expect(await page.evaluate(() => typeof (globalThis as { process?: unknown }).process)).toBe("undefined");
  // Navigation away from the app is refused.
  const before = page.url();
  await page.evaluate(() => {
    window.location.href = "https://example.com/";
  });
  await page.waitForTimeout(500);
  expect(page.url()).toBe(before);
});

test("a first run shows the setup, which turns sharing and the start at login on", async () => {
  const setup = new OnboardingPage(page);
  await expect(setup.title).toHaveText("Welcome to Offpeak", { timeout: 60_000 });
  await page.screenshot({ path: "test-results/screenshots/electron-setup.png" });
  await setup.getStarted.click();
  await expect(setup.verdict).not.toContainText("Checking", { timeout: 60_000 });
  await setup.next.click();
  await setup.model(/^Offpeak demo/).check();
  await setup.next.click();
  await expect(setup.address).toHaveText(/^0x[0-9a-fA-F]{40}$/);
  await setup.next.click();
  await setup.mode("Always").check();
  await setup.launchAtLogin.check();
  await setup.next.click();
  await setup.startSharing.click();

  const dashboard = new DashboardPage(page);
  await expect(dashboard.shareSwitch).toHaveAttribute("aria-checked", "true");
  const login = await electronApp.evaluate(({ app }) => (process.platform === "linux" ? null : app.getLoginItemSettings().openAtLogin));
  if (process.platform === "linux") expect(existsSync(path.join(dataDir, "config", "autostart", "offpeak.desktop"))).toBe(true);
  else expect(login).toBe(true);
  await page.screenshot({ path: "test-results/screenshots/electron-window.png" });
});

test("the tray shows the node's state and switches sharing", async () => {
  await expect.poll(async () => (await tray())?.items.find((i) => i.id === "share")?.checked).toBe(true);
  const shown = await tray();
  expect(shown?.tooltip).toMatch(/^Offpeak: /);
  expect(path.basename(shown?.image ?? "")).toMatch(/^tray-(ready|earning|paused|connecting)(Template|-light|-dark)\.png$/);
  const dashboard = new DashboardPage(page);
  await dashboard.shareSwitch.click();
  await expect.poll(async () => (await tray())?.items.find((i) => i.id === "share")?.checked).toBe(false);
  expect(path.basename((await tray())?.image ?? "")).toMatch(/^tray-off/);
});

test("closing the window hides it to the tray; the app keeps running", async () => {
  await electronApp.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]?.close());
  const state = await electronApp.evaluate(({ BrowserWindow }) => {
    const all = BrowserWindow.getAllWindows();
    return { count: all.length, visible: all[0]?.isVisible() ?? null };
  });
  expect(state).toEqual({ count: 1, visible: false });
});
