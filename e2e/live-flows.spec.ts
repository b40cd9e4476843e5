/**
 * Two flows on the real headless host (`offpeak up`) in Chromium: the first-run setup walked end
 * to end (then the node shares, and a restart does not show the setup again), and a withdrawal
 * paid on a real local devnet (ganache + an OpenZeppelin ERC-20) after earning with the official
 * openai client, checked on chain with `balanceOf`.
 */
import OpenAI from "openai";
import { getAddress, type Address } from "viem";
import { formatUsd } from "../shared/money";
import { startDevnet } from "../tests/support/devnet";
import { DashboardPage, parseShownUsd } from "./pages/dashboard-page";
import { EarningsPage } from "./pages/earnings-page";
import { OnboardingPage } from "./pages/onboarding-page";
import { WalletPage } from "./pages/wallet-page";
import { WithdrawalsPanel } from "./pages/withdrawals-panel";
import { expect, test } from "./support/live-fixtures";
import { attachScreenshot } from "./support/screenshot";

test("a first run walks the setup on a real host, then shares, and the setup does not come back", async ({ page, liveHost }, testInfo) => {
  test.setTimeout(420_000);
  await liveHost.makeDataDir("offpeak-flows-onboarding-");
  let host = await liveHost.start();

  const setup = new OnboardingPage(page);
  await setup.open(host.dashboardUrl);
  await expect(setup.currentStep).toContainText("Welcome");
  await attachScreenshot(page, testInfo, "setup-welcome");
  await setup.getStarted.click();

  await expect(setup.title).toHaveText("Your machine");
  await expect(setup.verdict).not.toBeEmpty({ timeout: 30_000 });
  await attachScreenshot(page, testInfo, "setup-hardware");
  await setup.next.click();

  // The model this node serves now (the demo model) is the one offered first: keep it.
  await expect(setup.title).toHaveText("Pick a model");
  await expect(setup.model(/^Offpeak demo/)).toBeChecked({ timeout: 30_000 });
  await attachScreenshot(page, testInfo, "setup-model");
  await setup.next.click();

  await expect(setup.title).toHaveText("Your wallet", { timeout: 30_000 });
  await expect(setup.address).toHaveText(/^0x[0-9a-fA-F]{40}$/);
  const address = (await setup.address.innerText()).trim();
  expect(getAddress(address)).toBe(address);
  await attachScreenshot(page, testInfo, "setup-wallet");
  await setup.next.click();

  await expect(setup.title).toHaveText("When to share");
  await setup.mode("Always").check();
  // A dashboard in a browser belongs to the headless node: starting at login is not offered.
  await expect(setup.launchAtLogin).toHaveCount(0);
  await attachScreenshot(page, testInfo, "setup-when");
  await setup.next.click();

  await expect(setup.title).toHaveText("Ready to start");
  await expect(page.getByTestId("setup-summary")).toContainText("Always");
  await setup.startSharing.click();

  const dashboard = new DashboardPage(page);
  await expect(dashboard.activity).toBeVisible({ timeout: 30_000 });
  await expect(setup.root).toHaveCount(0);
  await expect(dashboard.shareSwitch).toHaveAttribute("aria-checked", "true", { timeout: 30_000 });
  await attachScreenshot(page, testInfo, "dashboard-after-setup");

  // The address the setup showed is the node's wallet.
  const wallet = new WalletPage(page);
  await wallet.shell.goTo("Wallet");
  await expect(wallet.address).toHaveText(address, { timeout: 15_000 });

  await liveHost.stop();
  host = await liveHost.start();
  await dashboard.open(host.dashboardUrl);
  await expect(setup.root).toHaveCount(0);
  await expect(dashboard.shareSwitch).toHaveAttribute("aria-checked", "true", { timeout: 30_000 });
  await attachScreenshot(page, testInfo, "dashboard-after-restart");
});

// Demo requests earn a few µUSD each at the default price, so the terms are set in µUSD as well.
const FEE_MICRO_USD = 2;
const MINIMUM_MICRO_USD = 10;
const MAX_REQUESTS = 8;

test("earnings withdrawn to the node's own address arrive on the devnet", async ({ page, liveHost }, testInfo) => {
  test.setTimeout(420_000);
  const devnet = liveHost.closeAfterHost(await startDevnet());
  const treasury = devnet.accounts[1];
  if (!treasury) throw new Error("the devnet has no second account");
  const token = await devnet.deployToken(6);
  await devnet.mint(token, treasury.address, 1_000_000_000n);

  await liveHost.makeDataDir("offpeak-flows-withdraw-", { onboarded: true });
  const host = await liveHost.start({
    OFFPEAK_PAYOUT_RPC_URL: devnet.rpcUrl,
    OFFPEAK_PAYOUT_CHAIN_ID: String(devnet.chainId),
    OFFPEAK_PAYOUT_TOKEN: token,
    OFFPEAK_PAYOUT_TOKEN_SYMBOL: "TUSD",
    OFFPEAK_PAYOUT_TOKEN_DECIMALS: "6",
    OFFPEAK_PAYOUT_CONFIRMATIONS: "1",
    OFFPEAK_TREASURY_KEY: treasury.key,
    OFFPEAK_WITHDRAWAL_FEE_USD: formatUsd(FEE_MICRO_USD).slice(1),
    OFFPEAK_WITHDRAWAL_MIN_USD: formatUsd(MINIMUM_MICRO_USD).slice(1),
    OFFPEAK_VERIFICATION_HOURS: "0",
  });
  const printed = host.printed;

  // Earn: requests from the official openai client until the node's earnings cover the minimum and the fee.
  const earnings = new EarningsPage(page);
  await earnings.open(host.dashboardUrl);
  await expect(earnings.balance("pending")).toBeVisible({ timeout: 30_000 });
  const client = new OpenAI({ apiKey: printed.get("OPENAI_API_KEY"), baseURL: printed.get("OPENAI_BASE_URL"), maxRetries: 0, timeout: 60_000 });
  const needed = MINIMUM_MICRO_USD + FEE_MICRO_USD;
  const earned = async () => (await earnings.balanceMicroUsd("pending")) + (await earnings.balanceMicroUsd("available"));
  for (let i = 0; i < MAX_REQUESTS && (await earned()) < needed; i++) {
    const result = await client.chat.completions.create({ model: "offpeak-demo", messages: [{ role: "user", content: "Tell me a long story" }], max_tokens: 96 });
    expect(result.usage?.completion_tokens).toBeGreaterThan(0);
    await page.reload();
    await expect(earnings.balance("pending")).toBeVisible({ timeout: 15_000 });
  }
  // With no verification window, the coordinator's releaser (every 60 s) makes them available.
  await expect
    .poll(
      async () => {
        await page.reload();
        await expect(earnings.balance("available")).toBeVisible({ timeout: 15_000 });
        return earnings.balanceMicroUsd("available");
      },
      { timeout: 100_000, intervals: [3_000] },
    )
    .toBeGreaterThanOrEqual(needed);
  await attachScreenshot(page, testInfo, "earnings-available");

  // The node's balance before the withdrawal, as the Dashboard shows it from the pushed state.
  const dashboard = new DashboardPage(page);
  await dashboard.open(host.dashboardUrl);
  const balanceBefore = await dashboard.balanceMicroUsd();
  expect(balanceBefore).toBeGreaterThanOrEqual(needed);

  const panel = new WithdrawalsPanel(page);
  await panel.open(host.dashboardUrl);
  await expect(panel.empty).toBeVisible();
  await expect(panel.withdrawButton).toBeEnabled({ timeout: 15_000 });
  await panel.withdrawButton.click();
  await expect(panel.dialog).toBeVisible();

  // The node's own address is offered first.
  const own = getAddress((await new WalletPage(page).address.innerText()).trim()) as Address;
  await expect(panel.destination).toHaveValue(own);
  await expect(panel.destinationStatus).toHaveText("This node's own address (checksum OK)");
  const available = parseShownUsd(await panel.term("withdraw-available").innerText());
  expect(available).toBeGreaterThanOrEqual(needed);
  await expect(panel.term("withdraw-fee")).toHaveText(`${formatUsd(FEE_MICRO_USD)}, on top of the amount`);
  await expect(panel.term("withdraw-minimum")).toHaveText(formatUsd(MINIMUM_MICRO_USD));
  await expect(panel.term("withdraw-daily-limit")).toHaveText("$1,000.00 ($0.00 withdrawn today, UTC)");

  const amount = MINIMUM_MICRO_USD;
  await panel.amount.fill(formatUsd(amount).slice(1));
  await expect(panel.amountError).toHaveText("");
  await expect(panel.term("withdraw-total")).toHaveText(formatUsd(amount + FEE_MICRO_USD));
  await attachScreenshot(page, testInfo, "withdraw-form");
  await panel.review.click();
  await expect(panel.summary).toContainText(own);
  await attachScreenshot(page, testInfo, "withdraw-confirm");
  const treasuryBefore = await devnet.balanceOf(token, treasury.address);
  const ownBefore = await devnet.balanceOf(token, own);
  await panel.confirm.click();

  await expect(panel.dialog).toHaveCount(0, { timeout: 30_000 });
  await expect(panel.notice).toContainText(`Withdrawal of ${formatUsd(amount)} requested.`);
  await expect(panel.rows).toHaveCount(1);
  // The agent follows the withdrawal and pushes each step; the payout worker polls every 3 s.
  await expect(panel.row(0).status).toHaveText("Confirmed", { timeout: 90_000 });
  await expect(panel.row(0).tx).toHaveText(/^0x[0-9a-f]{64}$/);
  await attachScreenshot(page, testInfo, "withdrawal-confirmed");

  // Token units equal µUSD at 6 decimals; the fee stays with the network, the amount is sent.
  expect(await devnet.balanceOf(token, own)).toBe(ownBefore + BigInt(amount));
  expect(await devnet.balanceOf(token, treasury.address)).toBe(treasuryBefore - BigInt(amount));

  // The Dashboard's balance dropped by what the withdrawal took, with no credit since.
  await panel.shell.goTo("Dashboard");
  await expect.poll(() => dashboard.balanceMicroUsd(), { timeout: 15_000 }).toBe(balanceBefore - amount - FEE_MICRO_USD);
});
