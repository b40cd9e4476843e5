/**
 * The Settings page's desktop preferences and logs in Chromium, against the real control server
 * in front of an in-memory agent.
 */
import { DESKTOP_ONLY_ERROR } from "../shared/control-api";
import { DesktopSettings } from "./pages/desktop-settings";
import { SettingsPage } from "./pages/settings-page";
import { expect, test } from "./support/fixtures";


test("start at login and each notification switch save at once", async ({ page, control, server }) => {
  await new SettingsPage(page).open(server.url);
  const desktop = new DesktopSettings(page);
  await expect(desktop.launchAtLogin).toHaveAttribute("aria-checked", "false");
  await desktop.launchAtLogin.click();
  await expect(desktop.launchAtLogin).toHaveAttribute("aria-checked", "true");
  expect(control.settings.desktop.launchAtLogin).toBe(true);

  await desktop.pausedForGame.click();
  await expect(desktop.pausedForGame).toHaveAttribute("aria-checked", "false");
  expect(control.settings.desktop.notifications).toEqual({ firstEarningsOfDay: true, pausedForGame: false, withdrawals: true });
  // The other switches and the start at login stay as they were.
  expect(control.settings.desktop.launchAtLogin).toBe(true);
});

test("an update address must be https; a bad one is refused and nothing changes", async ({ page, control, server }) => {
  await new SettingsPage(page).open(server.url);
  const desktop = new DesktopSettings(page);
  await desktop.updateAddress.fill("http://updates.example.com/offpeak");
  await desktop.saveAddress.click();
  await expect(page.getByTestId("settings-error")).toContainText("must be an https:// address");
  expect(control.settings.desktop.updateFeedUrl).toBeNull();

  await desktop.updateAddress.fill("https://updates.example.com/offpeak");
  await desktop.saveAddress.click();
  await expect(page.getByTestId("settings-notice")).toHaveText("Update address saved.");
  expect(control.settings.desktop.updateFeedUrl).toBe("https://updates.example.com/offpeak");
});

test("the log buttons say plainly that a headless node has no log file", async ({ page, control, server }) => {
  await new SettingsPage(page).open(server.url);
  const desktop = new DesktopSettings(page);
  await desktop.exportLogs.click();
  await expect(desktop.logsMessage).toHaveText(DESKTOP_ONLY_ERROR);
  expect(control.logCalls).toEqual(["export"]);
});

test("in the desktop app, Export logs tells where the file went", async ({ page, control, server }) => {
  control.logExportPath = "/Users/owner/Downloads/offpeak-logs-2026-01-31-1405.txt";
  await new SettingsPage(page).open(server.url);
  const desktop = new DesktopSettings(page);
  await desktop.exportLogs.click();
  await expect(desktop.logsMessage).toHaveText("Saved to /Users/owner/Downloads/offpeak-logs-2026-01-31-1405.txt");
  await desktop.showLogs.click();
  await expect(desktop.logsMessage).toHaveText("The log folder is open.");
  expect(control.logCalls).toEqual(["export", "show"]);
});
