/** Page object of the Dashboard, for browser and Electron tests. */
import { expect, type Locator, type Page } from "@playwright/test";

export class DashboardPage {
  readonly shareSwitch: Locator;
  readonly activity: Locator;
  readonly reason: Locator;
  readonly model: Locator;
  readonly demoModel: Locator;
  readonly backend: Locator;
  readonly backendReason: Locator;
  readonly sandbox: Locator;
  readonly worker: Locator;
  readonly tokensPerSecond: Locator;
  readonly earningsToday: Locator;
  readonly balance: Locator;
  readonly jobsServed: Locator;
  readonly coordinator: Locator;
  readonly disconnected: Locator;
  readonly loading: Locator;
  readonly error: Locator;
  readonly decision: Locator;
  readonly pauseForHour: Locator;
  readonly pauseUntilTomorrow: Locator;
  readonly resume: Locator;
  readonly signals: Locator;

  constructor(readonly page: Page) {
    this.shareSwitch = page.getByRole("switch", { name: "Share this machine" });
    this.activity = page.getByTestId("activity");
    this.reason = page.getByTestId("reason");
    this.model = page.getByTestId("model");
    this.demoModel = page.getByTestId("demo-model");
    this.backend = page.getByTestId("backend");
    this.backendReason = page.getByTestId("backend-reason");
    this.sandbox = page.getByTestId("sandbox");
    this.worker = page.getByTestId("worker");
    this.tokensPerSecond = page.getByTestId("tokens-per-second");
    this.earningsToday = page.getByTestId("earnings-today");
    this.balance = page.getByTestId("balance");
    this.jobsServed = page.getByTestId("jobs-served");
    this.coordinator = page.getByTestId("coordinator");
    this.disconnected = page.getByTestId("disconnected");
    this.loading = page.getByTestId("loading");
    this.error = page.getByTestId("error");
    this.decision = page.getByTestId("decision");
    this.pauseForHour = page.getByRole("button", { name: "Pause for 1 hour" });
    this.pauseUntilTomorrow = page.getByRole("button", { name: "Pause until tomorrow" });
    this.resume = page.getByRole("button", { name: "Resume" });
    this.signals = page.getByRole("region", { name: "Signals" });
  }

  /** The value the Signals card shows for a signal ("Power", "Free memory"). */
  signal(label: string): Locator {
    return this.signals.locator(".signal-row", { has: this.page.locator("dt", { hasText: label }) }).locator("dd");
  }

  /** Opens the dashboard link (with its #token) and waits for the first state. */
  async open(dashboardUrl: string): Promise<void> {
    await this.page.goto(dashboardUrl);
    await expect(this.activity).toBeVisible();
  }

  /** Whether the Share switch is on, as the page shows it. */
  async isSharing(): Promise<boolean> {
    return (await this.shareSwitch.getAttribute("aria-checked")) === "true";
  }

  /** Today's earnings in µUSD, read back from the "$0.001234" text. */
  async earningsTodayMicroUsd(): Promise<number> {
    return parseShownUsd(await this.earningsToday.innerText());
  }

  /** The balance in µUSD, read back from its text. */
  async balanceMicroUsd(): Promise<number> {
    return parseShownUsd(await this.balance.innerText());
  }
}

/** "$1,234.50" → 1234500000 µUSD. */
export function parseShownUsd(text: string): number {
  const m = /^(-?)\$([\d,]+)\.(\d{2,6})$/.exec(text.trim());
  if (!m) throw new Error(`not an amount the dashboard shows: "${text}"`);
  const whole = Number((m[2] ?? "0").replaceAll(",", ""));
  const micro = whole * 1_000_000 + Number((m[3] ?? "").padEnd(6, "0"));
  return m[1] === "-" ? -micro : micro;
}
