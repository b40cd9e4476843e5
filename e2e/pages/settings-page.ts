/** Page object of the Settings page. */
import { expect, type Locator, type Page } from "@playwright/test";
import { AppShell } from "./app-shell";

export class SettingsPage {
  readonly shell: AppShell;
  readonly heading: Locator;
  readonly unsandboxedSwitch: Locator;
  readonly idleMinutes: Locator;
  readonly parallelJobs: Locator;
  readonly contextSize: Locator;
  readonly save: Locator;
  readonly error: Locator;
  readonly notice: Locator;
  readonly dialog: Locator;

  constructor(readonly page: Page) {
    this.shell = new AppShell(page);
    this.heading = page.getByRole("heading", { name: "Settings", level: 2, exact: true });
    this.unsandboxedSwitch = page.getByRole("switch", { name: "Run without sandbox" });
    this.idleMinutes = page.getByLabel("Unload the model after this many minutes idle");
    this.parallelJobs = page.getByLabel("Parallel jobs");
    this.contextSize = page.getByLabel("Context size");
    this.save = page.getByRole("button", { name: "Save changes" });
    this.error = page.getByTestId("settings-error");
    this.notice = page.getByTestId("settings-notice");
    this.dialog = page.getByRole("dialog");
  }

  /** Opens the dashboard link, then Settings through the navigation. */
  async open(dashboardUrl: string): Promise<void> {
    await this.page.goto(dashboardUrl);
    await this.shell.goTo("Settings");
    await expect(this.heading).toBeVisible();
    await expect(this.unsandboxedSwitch).toBeVisible();
  }
}
