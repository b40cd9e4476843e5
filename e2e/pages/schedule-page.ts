/** Page object of the Schedule page: the mode, the painted grid, the rules and Save. */
import { expect, type Locator, type Page } from "@playwright/test";
import { AppShell } from "./app-shell";

export class SchedulePage {
  readonly shell: AppShell;
  readonly heading: Locator;
  readonly grid: Locator;
  readonly rows: Locator;
  readonly summary: Locator;
  readonly save: Locator;
  readonly unsaved: Locator;
  readonly error: Locator;
  readonly notice: Locator;
  readonly idleMinutes: Locator;
  readonly freeMemory: Locator;
  readonly appName: Locator;
  readonly addApp: Locator;
  readonly apps: Locator;

  constructor(readonly page: Page) {
    this.shell = new AppShell(page);
    this.heading = page.getByRole("heading", { name: "Schedule", level: 2, exact: true });
    this.grid = page.getByRole("grid", { name: "Weekly sharing hours" });
    this.rows = this.grid.getByRole("row");
    this.summary = page.getByTestId("schedule-summary");
    this.save = page.getByRole("button", { name: "Save schedule" });
    this.unsaved = page.getByTestId("unsaved");
    this.error = page.getByTestId("schedule-error");
    this.notice = page.getByTestId("schedule-notice");
    this.idleMinutes = page.getByLabel("Idle after");
    this.freeMemory = page.getByLabel("Keep this much memory free");
    this.appName = page.getByLabel("Your apps that pause sharing");
    this.addApp = page.getByRole("button", { name: "Add app" });
    this.apps = page.getByTestId("own-app");
  }

  /** Opens the dashboard link, then Schedule through the navigation. */
  async open(dashboardUrl: string): Promise<void> {
    await this.page.goto(dashboardUrl);
    await this.shell.goTo("Schedule");
    await expect(this.heading).toBeVisible();
    await expect(this.grid).toBeVisible();
  }

  /** The mode's radio button ("On a schedule"). */
  mode(label: string): Locator {
    return this.page.getByRole("radio", { name: label });
  }

  /** A cell by its name, "Monday 22:00–22:30". */
  cell(name: string): Locator {
    return this.grid.getByRole("gridcell", { name, exact: true });
  }

  /** The names of the cells painted on, in the grid's order. */
  async paintedCells(): Promise<string[]> {
    return this.grid.locator('[role="gridcell"][aria-selected="true"]').evaluateAll((cells) => cells.map((c) => c.getAttribute("aria-label") ?? ""));
  }

  /** Presses on one cell and drags the mouse to another, as a person paints. */
  async drag(fromCell: string, toCell: string): Promise<void> {
    // Scroll the way a person would, so the cells are not under the sticky Save bar.
    await this.cell(fromCell).evaluate((cell) => cell.scrollIntoView({ block: "center" }));
    const from = await this.cell(fromCell).boundingBox();
    const to = await this.cell(toCell).boundingBox();
    if (from === null || to === null) throw new Error("cell not on screen");
    await this.page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await this.page.mouse.down();
    await this.page.mouse.move(to.x + to.width / 2, to.y + to.height / 2, { steps: 8 });
    await this.page.mouse.up();
  }

  /** A rule's checkbox ("Pause on battery power"). */
  rule(label: string): Locator {
    return this.page.getByRole("checkbox", { name: label });
  }
}
