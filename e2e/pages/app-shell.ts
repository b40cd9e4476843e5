/** Page object of what every page shows: the navigation and the agent's warnings. */
import type { Locator, Page } from "@playwright/test";

export type PageName = "Dashboard" | "Earnings" | "Schedule" | "Models" | "Wallet" | "Settings" | "Diagnostics";

export class AppShell {
  readonly nav: Locator;
  readonly warnings: Locator;
  readonly pageTitle: Locator;

  constructor(readonly page: Page) {
    this.nav = page.getByRole("navigation", { name: "Pages" });
    this.warnings = page.getByTestId("warning");
    this.pageTitle = page.locator("#page-title");
  }

  /** The link to a page (its name may go on with a count, "Models 1 downloading"). */
  link(name: PageName): Locator {
    return this.nav.getByRole("link", { name: new RegExp(`^${name}\\b`) });
  }

  /** Follows a navigation link, as a person clicks it. */
  async goTo(name: PageName): Promise<void> {
    await this.link(name).click();
  }

  /** The warning banner with this text (role="alert"). */
  warning(text: string | RegExp): Locator {
    return this.page.getByRole("alert").filter({ hasText: text });
  }
}
