/** Page object of the withdrawals on the Wallet page: the card, the withdraw dialog and the history. */
import { expect, type Locator, type Page } from "@playwright/test";
import { AppShell } from "./app-shell";

export class WithdrawalsPanel {
  readonly shell: AppShell;
  readonly card: Locator;
  readonly withdrawButton: Locator;
  readonly notice: Locator;
  readonly unavailable: Locator;
  /** Why the list could not be read (or refreshed). */
  readonly loadError: Locator;
  readonly rows: Locator;
  readonly empty: Locator;
  readonly dialog: Locator;
  readonly destination: Locator;
  readonly destinationStatus: Locator;
  readonly useOwnAddress: Locator;
  readonly amount: Locator;
  readonly amountError: Locator;
  readonly max: Locator;
  readonly review: Locator;
  readonly cancel: Locator;
  readonly summary: Locator;
  readonly confirm: Locator;
  readonly back: Locator;
  readonly error: Locator;

  constructor(readonly page: Page) {
    this.shell = new AppShell(page);
    this.card = page.getByTestId("withdrawals-card");
    this.withdrawButton = this.card.getByRole("button", { name: "Withdraw…" });
    this.notice = page.getByTestId("withdraw-notice");
    this.unavailable = page.getByTestId("withdraw-unavailable");
    this.loadError = page.getByTestId("withdrawals-error");
    this.rows = page.getByTestId("withdrawal");
    this.empty = page.getByTestId("withdrawals-empty");
    this.dialog = page.getByRole("dialog", { name: /Withdraw earnings|Confirm the withdrawal/ });
    this.destination = this.dialog.getByLabel("Send to");
    this.destinationStatus = page.getByTestId("withdraw-to-status");
    this.useOwnAddress = this.dialog.getByRole("button", { name: "Use this node's address" });
    this.amount = this.dialog.getByLabel(/^Amount/);
    this.amountError = page.getByTestId("withdraw-amount-error");
    this.max = this.dialog.getByRole("button", { name: "Max" });
    this.review = this.dialog.getByRole("button", { name: "Review" });
    this.cancel = this.dialog.getByRole("button", { name: "Cancel" });
    this.summary = page.getByTestId("withdraw-summary");
    this.confirm = this.dialog.getByRole("button", { name: "Confirm withdrawal" });
    this.back = this.dialog.getByRole("button", { name: "Back" });
    this.error = page.getByTestId("withdraw-error");
  }

  /** Opens the dashboard link, then the Wallet page through the navigation. */
  async open(dashboardUrl: string): Promise<void> {
    await this.page.goto(dashboardUrl);
    await this.shell.goTo("Wallet");
    // The card waits for the page's first state and the agent's first answers.
    await expect(this.card).toBeVisible({ timeout: 15_000 });
  }

  /** Opens the Wallet page, then the withdraw dialog with `amount` (dollars, as typed) to the address it offers. */
  async startWithdrawal(dashboardUrl: string, amount: string): Promise<void> {
    await this.open(dashboardUrl);
    await this.withdrawButton.click();
    await this.amount.fill(amount);
  }

  /** A fact of the dialog's terms ("withdraw-fee", "withdraw-minimum", "withdraw-daily-limit", "withdraw-total"). */
  term(testId: string): Locator {
    return this.page.getByTestId(testId);
  }

  /** One history row's status, transaction and failure reason. */
  row(index: number): { status: Locator; tx: Locator; failure: Locator } {
    const row = this.rows.nth(index);
    return { status: row.getByTestId("withdrawal-status"), tx: row.getByTestId("withdrawal-tx"), failure: row.getByTestId("withdrawal-failure") };
  }
}
