/**
 * Withdrawing from the Wallet page, in Chromium, served by the real control server in front of
 * an in-memory agent: the dialog (own address first, EIP-55 checked as it is typed, fee, minimum
 * and daily limit before confirming), the confirmation, and the history with status and hash,
 * which comes with the state the agent pushes (the agent follows a withdrawal on its way).
 */
import { SAMPLE_ADDRESS } from "../tests/fake-electron/fake-wallet";
import { DashboardPage } from "./pages/dashboard-page";
import { WithdrawalsPanel } from "./pages/withdrawals-panel";
import { expect, test } from "./support/fixtures";

const OTHER = "0x90F8bf6A479f320ead074411a4B0e7944Ea8c9C1";
const TX = `0x${"3c".repeat(32)}`;


test("withdraw to the node's own address: terms shown, Max, review, confirm, then the history", async ({ page, control, server }) => {
  const panel = new WithdrawalsPanel(page);
  await panel.open(server.url);
  await expect(panel.empty).toHaveText("No withdrawals yet.");
  await panel.withdrawButton.click();
  await expect(panel.dialog).toBeVisible();
  await expect(panel.destination).toHaveValue(SAMPLE_ADDRESS);
  await expect(panel.destinationStatus).toHaveText("This node's own address (checksum OK)");
  await expect(panel.term("withdraw-available")).toHaveText("$12.50");
  await expect(panel.term("withdraw-fee")).toHaveText("$0.10, on top of the amount");
  await expect(panel.term("withdraw-minimum")).toHaveText("$5.00");
  await expect(panel.term("withdraw-daily-limit")).toHaveText("$1,000.00 ($0.00 withdrawn today, UTC)");
  await expect(panel.review).toBeDisabled();

  await panel.amount.fill("4");
  await expect(panel.amountError).toHaveText("The smallest withdrawal is $5.00.");
  await expect(panel.review).toBeDisabled();
  await panel.amount.fill("12.45");
  await expect(panel.amountError).toHaveText("With the $0.10 fee this is more than the $12.50 available.");
  await panel.max.click();
  await expect(panel.amount).toHaveValue("12.4");
  await expect(panel.amountError).toHaveText("");
  await expect(panel.term("withdraw-total")).toHaveText("$12.50");
  await page.screenshot({ path: test.info().outputPath("withdraw-dialog-light.png") });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: test.info().outputPath("withdraw-dialog-dark.png") });
  await page.emulateMedia({ colorScheme: "light" });

  await panel.review.click();
  await expect(panel.summary).toHaveText(
    `Send $12.40 in USDC to ${SAMPLE_ADDRESS} on chain 8453. With the $0.10 network fee, $12.50 leaves your balance.`,
  );
  expect(control.withdrawals.calls).toEqual([]);
  await panel.confirm.click();
  await expect(panel.dialog).toBeHidden();
  await expect(panel.notice).toHaveText("Withdrawal of $12.40 requested. Its transaction shows here once it is sent.");
  expect(control.withdrawals.calls).toEqual([{ to: SAMPLE_ADDRESS, amountMicroUsd: 12_400_000 }]);
  await expect(panel.rows).toHaveCount(1);
  await expect(panel.row(0).status).toHaveText("Requested");

  // The payout sends it: the agent pushes each step as it follows the withdrawal.
  const id = control.withdrawals.history[0]?.id ?? "";
  control.withdrawals.advance(id, { status: "sent", txHash: TX });
  await expect(panel.row(0).status).toHaveText("Sent, confirming");
  await expect(panel.row(0).tx).toHaveText(TX);
  control.withdrawals.advance(id, { status: "confirmed" });
  await expect(panel.row(0).status).toHaveText("Confirmed");
  await expect(panel.row(0).tx).toHaveText(TX);
  await panel.card.screenshot({ path: test.info().outputPath("withdrawal-history.png") });

  // The balance the withdrawal took is gone from the Dashboard too, with no credit since.
  await panel.shell.goTo("Dashboard");
  await expect.poll(() => new DashboardPage(page).balanceMicroUsd()).toBe(0);
});

test("shows the withdrawals as the pushed state has them: loading, an error with what was read before, then the list", async ({ page, control, server }) => {
  control.update({ withdrawals: { status: "loading", error: null, items: [] } });
  const panel = new WithdrawalsPanel(page);
  await panel.open(server.url);
  await expect(panel.card).toContainText("Loading withdrawals…");
  control.update({ withdrawals: { status: "error", error: "the coordinator at http://127.0.0.1:4100 did not answer", items: [] } });
  await expect(panel.loadError).toHaveText("Could not load the withdrawals: the coordinator at http://127.0.0.1:4100 did not answer");
  await expect(panel.rows).toHaveCount(0);
  await control.withdrawals.withdraw({ to: OTHER, amountMicroUsd: 6_000_000 });
  await expect(panel.rows).toHaveCount(1);
  await expect(panel.loadError).toHaveCount(0);
  control.update({ withdrawals: { ...control.state.withdrawals, status: "error", error: "the coordinator at http://127.0.0.1:4100 did not answer" } });
  await expect(panel.loadError).toHaveText("Could not refresh the withdrawals: the coordinator at http://127.0.0.1:4100 did not answer");
  await expect(panel.row(0).status).toHaveText("Requested");
});

test("a withdrawal that fails while the page is open is refunded: the dialog offers the amount again", async ({ page, control, server }) => {
  const panel = new WithdrawalsPanel(page);
  await panel.startWithdrawal(server.url, "6");
  await panel.review.click();
  await panel.confirm.click();
  await expect(panel.row(0).status).toHaveText("Requested");
  await panel.withdrawButton.click();
  await expect(panel.term("withdraw-available")).toHaveText("$6.40");
  await panel.cancel.click();
  control.withdrawals.advance(control.withdrawals.history[0]?.id ?? "", { status: "failed", failureReason: "the transfer reverted" });
  await expect(panel.row(0).status).toHaveText("Failed, refunded");
  await panel.withdrawButton.click();
  await expect(panel.term("withdraw-available")).toHaveText("$12.50");
});

test("the destination is checked for its EIP-55 capitals as it is typed", async ({ page, control, server }) => {
  const panel = new WithdrawalsPanel(page);
  await panel.startWithdrawal(server.url, "6");
  await panel.destination.fill(OTHER.toLowerCase());
  await expect(panel.destinationStatus).toHaveText(/EIP-55 capitals/);
  await expect(panel.destination).toHaveAttribute("aria-invalid", "true");
  await expect(panel.review).toBeDisabled();
  await panel.destination.fill(OTHER.replace("F8bf", "F8Bf"));
  await expect(panel.destinationStatus).toHaveText("The address's capitals do not match its EIP-55 checksum: it has a typo.");
  await panel.destination.fill(OTHER);
  await expect(panel.destinationStatus).toHaveText("Checksum OK");
  await expect(panel.review).toBeEnabled();
  await panel.useOwnAddress.click();
  await expect(panel.destination).toHaveValue(SAMPLE_ADDRESS);
  await panel.destination.fill(OTHER);
  await panel.review.click();
  await panel.confirm.click();
  await expect(panel.dialog).toBeHidden();
  expect(control.withdrawals.calls).toEqual([{ to: OTHER, amountMicroUsd: 6_000_000 }]);
});

test("a refused withdrawal keeps the dialog open with the reason, and Cancel sends nothing", async ({ page, control, server }) => {
  const panel = new WithdrawalsPanel(page);
  await panel.startWithdrawal(server.url, "6");
  await panel.review.click();
  control.withdrawals.failWith = "This coordinator does not pay out withdrawals: its operator has not configured a payout chain.";
  await panel.confirm.click();
  await expect(panel.error).toHaveText("This coordinator does not pay out withdrawals: its operator has not configured a payout chain.");
  await expect(panel.dialog).toBeVisible();
  await panel.back.click();
  await panel.cancel.click();
  await expect(panel.dialog).toBeHidden();
  await expect(panel.empty).toBeVisible();
  expect(control.withdrawals.history).toEqual([]);
});

test("a failed withdrawal shows its reason and that the money is back", async ({ page, control, server }) => {
  await control.withdrawals.withdraw({ to: OTHER, amountMicroUsd: 9_000_000 });
  const id = control.withdrawals.history[0]?.id ?? "";
  control.withdrawals.advance(id, { status: "failed", failureReason: "the treasury holds 0 token units and 9000000 are needed" });
  const panel = new WithdrawalsPanel(page);
  await panel.open(server.url);
  await expect(panel.row(0).status).toHaveText("Failed, refunded");
  await expect(panel.row(0).failure).toHaveText(
    "the treasury holds 0 token units and 9000000 are needed The amount and the fee are back in your balance.",
  );
});

test("says why withdrawing is not possible when the coordinator pays none", async ({ page, control, server }) => {
  control.withdrawals.failWith = "This coordinator does not pay out withdrawals: its operator has not configured a payout chain.";
  const panel = new WithdrawalsPanel(page);
  await panel.open(server.url);
  await expect(panel.unavailable).toHaveText(
    "Withdrawals are not available now: This coordinator does not pay out withdrawals: its operator has not configured a payout chain.",
  );
  await expect(panel.withdrawButton).toBeDisabled();
});
