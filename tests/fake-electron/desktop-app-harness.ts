/**
 * The desktop app against a fresh fake `electron` module, for the Electron wiring tests: load its
 * module, then start it the way Electron runs it and get the window and tray it made.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { vi } from "vitest";
import type { DesktopApp, startDesktopApp as StartDesktopApp } from "../../electron/main/desktop-app";
import { createFakeElectron, type FakeElectron } from "./electron";

/** The renderer page the app's window loads. */
export const INDEX_FILE = path.resolve("dist/renderer/index.html");
/** The page's URL, as the frame URL of the window's IPC calls. */
export const PAGE_URL = pathToFileURL(INDEX_FILE).href;

/** A fresh fake `electron`, and the desktop app's module loaded anew against it. */
export async function loadDesktopApp(): Promise<{ fake: FakeElectron; startDesktopApp: typeof StartDesktopApp }> {
  const fake = createFakeElectron();
  vi.resetModules();
  vi.doMock("electron", () => fake.module);
  const { startDesktopApp } = await import("../../electron/main/desktop-app");
  return { fake, startDesktopApp };
}

/**
 * Makes the fake app ready while `starting` (a startDesktopApp call just made) waits for it, as
 * Electron does, and returns the app with its window and tray; fails if the app did not start.
 */
export async function whenReady(fake: FakeElectron, starting: Promise<DesktopApp | null>) {
  fake.app.becomeReady();
  const app = await starting;
  if (app === null) throw new Error("the app did not start");
  return { app, window: fake.windows[0]!, tray: fake.trays[0]! };
}
