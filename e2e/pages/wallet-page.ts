/** Page object of the Wallet page: address, Copy, QR code, backup phrase, restore, keychain state. */
import { expect, type Locator, type Page } from "@playwright/test";
import { AppShell } from "./app-shell";

export class WalletPage {
  readonly shell: AppShell;
  readonly heading: Locator;
  readonly address: Locator;
  readonly copy: Locator;
  readonly copyStatus: Locator;
  readonly qr: Locator;
  readonly store: Locator;
  readonly showPhrase: Locator;
  readonly hidePhrase: Locator;
  readonly phrase: Locator;
  readonly phraseWords: Locator;
  readonly rawKeyNote: Locator;
  readonly restoreField: Locator;
  readonly restore: Locator;
  readonly restoreError: Locator;
  readonly restoreNotice: Locator;
  readonly problem: Locator;
  readonly tryAgain: Locator;
  readonly dialog: Locator;

  constructor(readonly page: Page) {
    this.shell = new AppShell(page);
    this.heading = page.getByRole("heading", { name: "Wallet", level: 2 });
    this.address = page.getByTestId("wallet-address");
    this.copy = page.getByRole("button", { name: "Copy", exact: true });
    this.copyStatus = page.getByTestId("wallet-copy-status");
    this.qr = page.getByTestId("wallet-qr");
    this.store = page.getByTestId("wallet-store");
    this.showPhrase = page.getByRole("button", { name: "Show backup phrase" });
    this.hidePhrase = page.getByRole("button", { name: "Hide phrase" });
    this.phrase = page.getByTestId("wallet-phrase");
    this.phraseWords = page.getByRole("list", { name: "Backup phrase, in order" }).getByRole("listitem");
    this.rawKeyNote = page.getByTestId("wallet-raw-key-note");
    this.restoreField = page.getByRole("textbox", { name: "Backup phrase", exact: true });
    this.restore = page.getByRole("button", { name: "Restore…" });
    this.restoreError = page.getByTestId("wallet-restore-error");
    this.restoreNotice = page.getByTestId("wallet-restore-notice");
    this.problem = page.getByTestId("wallet-problem");
    this.tryAgain = page.getByRole("button", { name: "Try again" });
    this.dialog = page.getByRole("dialog");
  }

  /** Opens the dashboard link, then the Wallet page through the navigation. */
  async open(dashboardUrl: string): Promise<void> {
    await this.page.goto(dashboardUrl);
    await this.shell.goTo("Wallet");
    await expect(this.heading).toBeVisible();
  }

  /** The words of the phrase shown, in order. */
  async shownWords(): Promise<string[]> {
    return this.phraseWords.allTextContents();
  }
}
