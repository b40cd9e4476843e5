/**
 * The Wallet page in Chromium, served by the real control server in front of an in-memory agent
 * whose phrases are checked by the real wallet code: the address with Copy and its QR code, the
 * backup phrase behind a confirmation, a restore (refused for an invalid phrase, confirmed
 * before it replaces anything), and a locked keychain shown plainly.
 */
import { QRCodeSVG } from "qrcode.react";
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { mnemonicToAccount } from "viem/accounts";
import { SAMPLE_ADDRESS, SAMPLE_PHRASE } from "../tests/fake-electron/fake-wallet";
import { DashboardPage } from "./pages/dashboard-page";
import { WalletPage } from "./pages/wallet-page";
import { expect, test } from "./support/fixtures";

const OTHER_PHRASE = "test test test test test test test test test test test junk";

/** The path data of the QR code of `value`, as the page's component draws it. */
function qrPaths(value: string): string[] {
  const markup = renderToStaticMarkup(createElement(QRCodeSVG, { value, size: 176, marginSize: 2, level: "M" }));
  return [...markup.matchAll(/ d="([^"]+)"/g)].map((m) => m[1] ?? "");
}

test("shows the address with a Copy button and a QR code of it", async ({ page, context, server }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  const wallet = new WalletPage(page);
  await wallet.open(server.url);
  await expect(wallet.address).toHaveText(SAMPLE_ADDRESS);
  await expect(wallet.store).toContainText('Secret Service (service "offpeak", account "node-key")');

  await wallet.copy.click();
  await expect(wallet.copyStatus).toHaveText("Copied to the clipboard.");
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(SAMPLE_ADDRESS);

  await expect(wallet.qr).toBeVisible();
  await expect(wallet.qr).toHaveAccessibleName(`QR code of ${SAMPLE_ADDRESS}`);
  const drawn = await wallet.qr.locator("path").evaluateAll((paths) => paths.map((p) => p.getAttribute("d") ?? ""));
  expect(drawn).toEqual(qrPaths(SAMPLE_ADDRESS));
  expect(drawn).not.toEqual(qrPaths(mnemonicToAccount(OTHER_PHRASE).address));
  await page.screenshot({ path: test.info().outputPath("wallet.png"), fullPage: true });
});

test("the backup phrase shows only after the owner confirms", async ({ page, control, server }) => {
  const wallet = new WalletPage(page);
  await wallet.open(server.url);

  await wallet.showPhrase.click();
  await expect(wallet.dialog).toContainText("Show the backup phrase?");
  await expect(wallet.dialog).toContainText("Anyone who sees these words can take this node's earnings");
  await page.screenshot({ path: test.info().outputPath("wallet-backup-confirm.png") });
  await wallet.dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(wallet.dialog).toHaveCount(0);
  await expect(wallet.phrase).toHaveCount(0);
  expect(control.wallet.backupCalls).toEqual([]);

  await wallet.showPhrase.click();
  await wallet.dialog.getByRole("button", { name: "Show phrase" }).click();
  await expect(wallet.phraseWords).toHaveCount(24);
  expect(await wallet.shownWords()).toEqual(SAMPLE_PHRASE.split(" "));
  expect(control.wallet.backupCalls).toEqual([true]);
  await expect(wallet.rawKeyNote).toHaveCount(0);
  await page.screenshot({ path: test.info().outputPath("wallet-backup-shown.png"), fullPage: true });

  await wallet.hidePhrase.click();
  await expect(wallet.phrase).toHaveCount(0);
  await expect(wallet.showPhrase).toBeVisible();
});

test("restores from a phrase after confirmation, and refuses an invalid one", async ({ page, control, server }) => {
  const wallet = new WalletPage(page);
  await wallet.open(server.url);
  const words = SAMPLE_PHRASE.split(" ");

  await wallet.restoreField.fill([words[1], words[0], ...words.slice(2)].join(" "));
  await wallet.restore.click();
  await expect(wallet.restoreError).toHaveText(
    "Not a valid backup phrase: the phrase's checksum does not match: a word is wrong or the words are out of order.",
  );
  await expect(wallet.dialog).toHaveCount(0);
  await wallet.restoreField.fill(`${OTHER_PHRASE} zzzz`);
  await wallet.restore.click();
  await expect(wallet.restoreError).toContainText("word 13 is not a word of the BIP-39 English list");
  await page.screenshot({ path: test.info().outputPath("wallet-restore-invalid.png"), fullPage: true });

  const restored = mnemonicToAccount(OTHER_PHRASE).address;
  await wallet.restoreField.fill(OTHER_PHRASE);
  await wallet.restore.click();
  await expect(wallet.dialog).toContainText("Replace this node's wallet?");
  await expect(wallet.dialog.getByTestId("wallet-restore-address")).toHaveText(restored);
  await expect(wallet.dialog).toContainText(`It replaces ${SAMPLE_ADDRESS}`);
  await page.screenshot({ path: test.info().outputPath("wallet-restore-confirm.png") });
  await wallet.dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(wallet.address).toHaveText(SAMPLE_ADDRESS);
  expect(control.wallet.restoreCalls).toEqual([false, false, false]);

  await wallet.restore.click();
  await wallet.dialog.getByRole("button", { name: "Replace wallet" }).click();
  await expect(wallet.restoreNotice).toHaveText(`Restored: this node's wallet is now ${restored}.`);
  await expect(wallet.address).toHaveText(restored);
  await expect(wallet.restoreField).toHaveValue("");
  expect(control.wallet.restoreCalls).toEqual([false, false, false, false, true]);
  expect(control.state.address).toBe(restored);
  const drawn = await wallet.qr.locator("path").evaluateAll((paths) => paths.map((p) => p.getAttribute("d") ?? ""));
  expect(drawn).toEqual(qrPaths(restored));
});

test("a locked keychain is said plainly, and Try again opens the wallet once it is unlocked", async ({ page, control, server }) => {
  const wallet = new WalletPage(page);
  await wallet.open(server.url);
  control.wallet.lock();
  await expect(wallet.problem).toContainText("Keychain locked");
  await expect(wallet.problem).toContainText("Keychain locked: unlock it to earn");
  await expect(wallet.address).toHaveCount(0);
  await expect(wallet.showPhrase).toBeDisabled();
  await page.screenshot({ path: test.info().outputPath("wallet-locked.png"), fullPage: true });

  control.wallet.unlocks = false;
  await wallet.tryAgain.click();
  await expect(wallet.problem).toContainText("Still not open: Keychain locked: unlock it to earn");

  await wallet.shell.goTo("Dashboard");
  await expect(new DashboardPage(page).reason).toHaveText("Keychain locked: unlock it to earn");
  await wallet.shell.goTo("Wallet");
  control.wallet.unlocks = true;
  await wallet.tryAgain.click();
  await expect(wallet.address).toHaveText(SAMPLE_ADDRESS);
  await expect(wallet.problem).toHaveCount(0);
  await expect(wallet.showPhrase).toBeEnabled();
});
