/** Page object of the Diagnostics page ("Why am I not getting jobs?"). */
import { expect, type Locator, type Page } from "@playwright/test";
import { AppShell } from "./app-shell";

export class DiagnosticsPage {
  readonly shell: AppShell;
  readonly heading: Locator;
  readonly refresh: Locator;
  readonly verdict: Locator;
  readonly problems: Locator;
  readonly notes: Locator;
  readonly notConnected: Locator;
  readonly refreshError: Locator;
  readonly error: Locator;

  constructor(readonly page: Page) {
    this.shell = new AppShell(page);
    this.heading = page.getByRole("heading", { name: "Why am I not getting jobs?", level: 2 });
    this.refresh = page.getByRole("button", { name: "Refresh" });
    this.verdict = page.getByTestId("node-verdict");
    this.problems = page.getByTestId("node-problems").getByRole("listitem");
    this.notes = page.getByTestId("diagnostics-note");
    this.notConnected = page.getByTestId("diagnostics-not-connected");
    this.refreshError = page.getByTestId("diagnostics-refresh-error");
    this.error = page.getByTestId("error");
  }

  /** Opens the dashboard link, then Diagnostics through the navigation. */
  async open(dashboardUrl: string): Promise<void> {
    await this.page.goto(dashboardUrl);
    await this.shell.goTo("Diagnostics");
    await expect(this.heading).toBeVisible();
  }

  /** The value shown for a fact (by its test id, "diag-jobs"). */
  fact(testId: string): Locator {
    return this.page.getByTestId(testId);
  }
}
