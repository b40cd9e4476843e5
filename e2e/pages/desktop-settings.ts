/** Page object of the Settings page's Desktop app and Logs cards. */
import type { Locator, Page } from "@playwright/test";

export class DesktopSettings {
  readonly launchAtLogin: Locator;
  readonly firstEarnings: Locator;
  readonly pausedForGame: Locator;
  readonly withdrawals: Locator;
  readonly updateAddress: Locator;
  readonly saveAddress: Locator;
  readonly showLogs: Locator;
  readonly exportLogs: Locator;
  readonly logsMessage: Locator;

  constructor(readonly page: Page) {
    this.launchAtLogin = page.getByRole("switch", { name: "Start Offpeak when I log in" });
    this.firstEarnings = page.getByRole("switch", { name: "First earnings of the day" });
    this.pausedForGame = page.getByRole("switch", { name: "Sharing paused for a game" });
    this.withdrawals = page.getByRole("switch", { name: "Withdrawal confirmed or failed" });
    this.updateAddress = page.getByLabel("Update address");
    this.saveAddress = page.getByRole("button", { name: "Save address" });
    this.showLogs = page.getByRole("button", { name: "Show logs" });
    this.exportLogs = page.getByRole("button", { name: "Export logs" });
    this.logsMessage = page.getByTestId("logs-message");
  }
}
