/**
 * The Settings page and the warnings every page shows, in Chromium, served by the real control
 * server in front of an in-memory agent.
 */
import { AppShell } from "./pages/app-shell";
import { DashboardPage } from "./pages/dashboard-page";
import { ModelsPage } from "./pages/models-page";
import { SettingsPage } from "./pages/settings-page";
import { expect, test } from "./support/fixtures";

const UNSANDBOXED = "Running without a sandbox: the inference worker can read your files and use the network.";

test("turning on Run without sandbox asks first, saves it, and the warning shows on every page", async ({ page, control, server }) => {
  const settings = new SettingsPage(page);
  await settings.open(server.url);
  await expect(settings.unsandboxedSwitch).toHaveAttribute("aria-checked", "false");
  await expect(page.getByText(/keeps the inference worker away from your files and the network/)).toBeVisible();
  await page.screenshot({ path: test.info().outputPath("settings-light.png"), fullPage: true });

  // Saying no changes nothing.
  await settings.unsandboxedSwitch.click();
  await expect(settings.dialog).toContainText("Run without the sandbox?");
  await page.screenshot({ path: test.info().outputPath("settings-confirm.png") });
  await settings.dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(settings.dialog).toHaveCount(0);
  expect(control.settingsCalls).toEqual([]);
  await expect(settings.unsandboxedSwitch).toHaveAttribute("aria-checked", "false");

  await settings.unsandboxedSwitch.click();
  await settings.dialog.getByRole("button", { name: "Run without sandbox" }).click();
  await expect.poll(() => control.settingsCalls).toEqual([{ allowUnsandboxed: true }]);
  await expect(settings.unsandboxedSwitch).toHaveAttribute("aria-checked", "true");
  expect(control.settings).toMatchObject({ allowUnsandboxed: true, sharing: true, idleUnloadMinutes: 15 });

  // The agent now reports the warning; every page shows it.
  control.update({ sandbox: { kind: "none", active: false, detail: "bubblewrap is not installed" }, warnings: [UNSANDBOXED] });
  const shell = new AppShell(page);
  await expect(shell.warning(UNSANDBOXED)).toBeVisible();
  await page.screenshot({ path: test.info().outputPath("settings-unsandboxed.png"), fullPage: true });
  await shell.goTo("Dashboard");
  await expect(shell.warning(UNSANDBOXED)).toBeVisible();
  await expect(new DashboardPage(page).sandbox).toHaveText("Not sandboxed: bubblewrap is not installed");
  await page.screenshot({ path: test.info().outputPath("dashboard-unsandboxed.png"), fullPage: true });
  await shell.goTo("Models");
  await expect(new ModelsPage(page).heading).toBeVisible();
  await expect(shell.warning(UNSANDBOXED)).toBeVisible();

  // Turning it off needs no confirmation.
  await shell.goTo("Settings");
  await settings.unsandboxedSwitch.click();
  await expect.poll(() => control.settingsCalls).toEqual([{ allowUnsandboxed: true }, { allowUnsandboxed: false }]);
  await expect(settings.dialog).toHaveCount(0);
  control.update({ warnings: [] });
  await expect(shell.warnings).toHaveCount(0);
});

test("saves the idle, parallel jobs and context settings, refusing bad values before sending", async ({ page, control, server }) => {
  const settings = new SettingsPage(page);
  await settings.open(server.url);
  await expect(settings.idleMinutes).toHaveValue("15");
  await expect(settings.parallelJobs).toHaveValue("1");
  await expect(settings.contextSize).toHaveValue("2048");

  await settings.parallelJobs.fill("0");
  await settings.save.click();
  await expect(settings.error).toHaveText("Some values are not valid; nothing was saved.");
  await expect(page.getByText("Enter a whole number from 1 to 16.")).toBeVisible();
  await expect(settings.parallelJobs).toHaveAttribute("aria-invalid", "true");
  expect(control.settingsCalls).toEqual([]);
  await page.screenshot({ path: test.info().outputPath("settings-invalid.png"), fullPage: true });

  await settings.parallelJobs.fill("4");
  await settings.contextSize.fill("8192");
  await settings.idleMinutes.fill("0");
  await settings.idleMinutes.press("Enter");
  await expect(settings.notice).toHaveText("Settings saved.");
  expect(control.settingsCalls).toEqual([{ idleUnloadMinutes: 0, parallelSequences: 4, contextSize: 8192 }]);
  expect(control.settings).toMatchObject({ idleUnloadMinutes: 0, parallelSequences: 4, contextSize: 8192, allowUnsandboxed: false });

  await page.reload();
  await expect(settings.parallelJobs).toHaveValue("4");
  await expect(settings.contextSize).toHaveValue("8192");
});

test("shows the agent's refusal, and the error when the settings cannot be read", async ({ page, control, server }) => {
  const settings = new SettingsPage(page);
  await settings.open(server.url);
  control.updateSettings = async () => ({ ok: false, error: "Context size 65536 needs more memory than this machine has" });
  await settings.contextSize.fill("65536");
  await settings.save.click();
  await expect(settings.error).toHaveText("Context size 65536 needs more memory than this machine has");

  control.getSettings = async () => ({ ok: false, error: "The settings file is damaged" });
  await page.reload();
  await expect(page.getByTestId("error")).toContainText("Could not read the settings");
  await expect(page.getByTestId("error")).toContainText("The settings file is damaged");
});

test("the pages are reachable with the keyboard and focus moves to the new page", async ({ page, server }) => {
  const shell = new AppShell(page);
  await page.goto(server.url);
  await expect(page.getByTestId("activity")).toBeVisible();
  await shell.link("Dashboard").focus();
  // Tab walks the navigation in order.
  for (const label of ["Earnings", "Schedule", "Models"] as const) {
    await page.keyboard.press("Tab");
    await expect(shell.link(label)).toBeFocused();
  }
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/#\/models$/);
  await expect(shell.pageTitle).toHaveText("Models");
  await expect(shell.pageTitle).toBeFocused();
  await shell.link("Settings").focus();
  await page.keyboard.press("Enter");
  await expect(shell.pageTitle).toHaveText("Settings");
  await page.goBack();
  await expect(shell.pageTitle).toHaveText("Models");
});

test("a dashboard link that names a page opens that page", async ({ page, server }) => {
  await page.goto(`http://127.0.0.1:${server.port}/#/settings?token=${server.token}`);
  const settings = new SettingsPage(page);
  await expect(settings.heading).toBeVisible();
  expect(page.url()).not.toContain("token");
  await expect(page).toHaveURL(/#\/settings$/);
});
