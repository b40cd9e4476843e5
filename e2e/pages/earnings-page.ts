/** Page object of the Earnings page, for browser tests. */
import { expect, type Locator, type Page } from "@playwright/test";
import { parseShownUsd } from "./dashboard-page";

export type BalanceName = "available" | "pending" | "held" | "withdrawn" | "lifetime";

export class EarningsPage {
  readonly title: Locator;
  readonly liveRate: Locator;
  readonly refresh: Locator;
  readonly chart: Locator;
  readonly chartSummary: Locator;
  readonly chartBars: Locator;
  readonly jobsTable: Locator;
  readonly jobRows: Locator;
  readonly jobsEmpty: Locator;
  readonly reconciliation: Locator;
  readonly reconciliationNotes: Locator;
  readonly coordinatorError: Locator;
  readonly loading: Locator;
  readonly error: Locator;

  constructor(readonly page: Page) {
    this.title = page.locator("#page-title");
    this.liveRate = page.getByTestId("live-rate");
    this.refresh = page.getByRole("button", { name: "Refresh" });
    this.chart = page.getByTestId("earnings-chart");
    this.chartSummary = page.getByTestId("chart-summary");
    this.chartBars = this.chart.locator(".recharts-bar-rectangle");
    this.jobsTable = page.getByTestId("jobs-table");
    this.jobRows = page.getByTestId("job-row");
    this.jobsEmpty = page.getByTestId("jobs-empty");
    this.reconciliation = page.getByTestId("reconciliation");
    this.reconciliationNotes = page.getByTestId("reconciliation-note");
    this.coordinatorError = page.getByTestId("coordinator-error");
    this.loading = page.getByTestId("loading");
    this.error = page.getByTestId("error");
  }

  /** Opens the page from a dashboard link (with its #token) and waits for the figures. */
  async open(dashboardUrl: string): Promise<void> {
    await this.page.goto(dashboardUrl.replace("#", "#/earnings?"));
    await expect(this.title).toHaveText("Earnings");
  }

  /** The period radio ("24 h", "7 d", "30 d"). */
  period(label: "24 h" | "7 d" | "30 d"): Locator {
    return this.page.getByRole("radiogroup", { name: "Period" }).getByRole("radio", { name: label });
  }

  balance(name: BalanceName): Locator {
    return this.page.getByTestId(`balance-${name}-value`);
  }

  /** A balance in µUSD, read back from its text. */
  async balanceMicroUsd(name: BalanceName): Promise<number> {
    return parseShownUsd(await this.balance(name).innerText());
  }

  /** The row of a job. */
  job(jobId: string): Locator {
    return this.page.locator(`[data-testid="job-row"][data-job-id="${jobId}"]`);
  }
}
