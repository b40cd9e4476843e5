/** Page object of the Models page: installed models, the catalog, downloads, the address field. */
import { expect, type Locator, type Page } from "@playwright/test";
import { AppShell } from "./app-shell";

export class ModelsPage {
  readonly shell: AppShell;
  readonly heading: Locator;
  readonly installed: Locator;
  readonly catalog: Locator;
  readonly downloads: Locator;
  readonly addressField: Locator;
  readonly addressDownload: Locator;
  readonly error: Locator;
  readonly dialog: Locator;

  constructor(readonly page: Page) {
    this.shell = new AppShell(page);
    this.heading = page.getByRole("heading", { name: "Models", level: 2, exact: true });
    this.installed = page.getByTestId("installed-model");
    this.catalog = page.getByTestId("catalog-model");
    this.downloads = page.getByTestId("download");
    this.addressField = page.getByLabel("Model address");
    this.addressDownload = page.locator("form.pull-form").getByRole("button", { name: "Download", exact: true });
    this.error = page.getByTestId("models-error");
    this.dialog = page.getByRole("dialog");
  }

  /** Opens the dashboard link, then the Models page through the navigation. */
  async open(dashboardUrl: string): Promise<void> {
    await this.page.goto(dashboardUrl);
    await this.shell.goTo("Models");
    await expect(this.heading).toBeVisible();
  }

  installedModel(name: string): Locator {
    return this.installed.filter({ has: this.page.locator(".row-title", { hasText: name }) });
  }

  catalogModel(name: string): Locator {
    return this.catalog.filter({ has: this.page.locator(".row-title", { hasText: name }) });
  }

  download(name: string): Locator {
    return this.downloads.filter({ has: this.page.locator(".row-title", { hasText: name }) });
  }

  progressBar(name: string): Locator {
    return this.page.getByRole("progressbar", { name: `Download of ${name}` });
  }
}
