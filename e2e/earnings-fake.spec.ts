/**
 * The Earnings page in Chromium, served by the real control server in front of an in-memory
 * agent: balances, the chart per period, the jobs with their receipts, the differences with the
 * coordinator's records, the live rate while a job runs, and the empty, loading and error states.
 */
import { emptyEarningsView, refundedEarningsView, SAMPLE_REFUND_REASON, sampleEarningsView } from "../tests/fake-electron/fake-earnings";
import { AppShell } from "./pages/app-shell";
import { EarningsPage } from "./pages/earnings-page";
import { expect, test } from "./support/fixtures";

let problems: string[];

test.beforeEach(async ({ page }) => {
  problems = [];
  // A console error (a refused style or script among them) is a defect of the page.
  page.on("console", (message) => {
    // The browser asks for /favicon.ico on its own; the dashboard has none.
    if (message.type() === "error" && !message.location().url.endsWith("/favicon.ico")) problems.push(`${message.text()} (${message.location().url})`);
  });
  page.on("pageerror", (error) => problems.push(error.message));
});
test.afterEach(async ({ server }) => {
  // The node closes before the check, so an error the page reports as it goes away counts too.
  await server.close();
  expect(problems).toEqual([]);
});

test("shows the balances, the chart, the jobs with their receipts and what the coordinator is missing", async ({ page, server }) => {
  const shell = new AppShell(page);
  await page.goto(server.url);
  await shell.goTo("Earnings");
  const earnings = new EarningsPage(page);
  await expect(earnings.title).toHaveText("Earnings");
  await expect(earnings.balance("available")).toHaveText("$12.50");
  await expect(earnings.balance("pending")).toHaveText("$0.00504");
  await expect(earnings.balance("held")).toHaveText("$0.00");
  await expect(earnings.balance("withdrawn")).toHaveText("$3.00");
  await expect(earnings.balance("lifetime")).toHaveText("$15.50504");
  await expect(page.getByTestId("balance-pending")).toContainText("Available 24 h after each job");

  await expect(earnings.chartSummary).toHaveText(/earned in the last 24 hours, from \d+ jobs\./);
  await expect(earnings.chartBars).toHaveCount(sampleEarningsView("24h").series.points.filter((p) => p.microUsd > 0).length);

  await expect(earnings.jobRows).toHaveCount(4);
  const missing = earnings.job("job_missing_at_coordinator");
  await expect(missing.getByTestId("job-state")).toHaveText("Missing at the coordinator");
  await expect(missing.getByTestId("job-amount")).toHaveText("—");
  await expect(earnings.job("job_available").getByTestId("job-state")).toHaveText("Available");
  await expect(earnings.job("job_old_pending").getByTestId("job-amount")).toHaveText("$0.00288");
  await earnings.job("job_available").locator("summary").click();
  await expect(earnings.job("job_available")).toContainText(`0x${"5c".repeat(65)}`);

  await expect(earnings.reconciliationNotes).toHaveText([
    "2 receipts pending: credited, available once the verification window ends.",
    "1 receipt missing at the coordinator.",
  ]);
  await page.screenshot({ path: test.info().outputPath("earnings.png"), fullPage: true });
});

test("shows a job refunded to its consumer as refunded, with the reason, not as missing", async ({ page, control, server }) => {
  control.earnings = (range) => ({ ok: true, value: refundedEarningsView(range, control.now()) });
  const earnings = new EarningsPage(page);
  await earnings.open(server.url);
  await expect(earnings.jobRows).toHaveCount(5);
  const refunded = earnings.job("job_refunded");
  await expect(refunded.getByTestId("job-state")).toHaveText("Refunded to the consumer");
  await expect(refunded.getByTestId("job-amount")).toHaveText("$0.00");
  await expect(refunded.getByTestId("job-refund")).toHaveText(`$0.00216 taken back: ${SAMPLE_REFUND_REASON}`);
  // Only the receipt the coordinator really lacks is called missing.
  await expect(earnings.jobRows.getByTestId("job-state").filter({ hasText: "Missing at the coordinator" })).toHaveCount(1);
  await expect(earnings.reconciliationNotes).toHaveText([
    "2 receipts pending: credited, available once the verification window ends.",
    `1 job was refunded to its consumer after a failed verification: ${SAMPLE_REFUND_REASON}.`,
    "1 receipt missing at the coordinator.",
  ]);
  await refunded.scrollIntoViewIfNeeded();
  await page.screenshot({ path: test.info().outputPath("earnings-refunded.png"), fullPage: true });
});

test("switches between 24 hours, 7 days and 30 days", async ({ page, control, server }) => {
  const earnings = new EarningsPage(page);
  await earnings.open(server.url);
  await expect(earnings.chartBars.first()).toBeVisible();
  await earnings.period("7 d").check();
  await expect(earnings.chartSummary).toContainText("last 7 days");
  await expect(page.getByRole("heading", { name: "Per day" })).toBeVisible();
  await earnings.period("30 d").check();
  await expect(earnings.chartSummary).toContainText("last 30 days");
  await expect(earnings.chartBars).toHaveCount(sampleEarningsView("30d").series.points.filter((p) => p.microUsd > 0).length);
  expect(control.earningsCalls).toEqual(["24h", "7d", "30d"]);
});

test("shows the live rate while a job runs, and new figures when a credit arrives", async ({ page, control, server }) => {
  const earnings = new EarningsPage(page);
  await earnings.open(server.url);
  await expect(earnings.liveRate).toHaveText("Not serving a job right now.");
  // 400 tokens in the 10 s the agent measured: 40 tokens/s at $50 per million output tokens, less the 10 % fee = $6.48 an hour.
  const job = { jobId: "job_live", model: "offpeak-demo-tiny", startedAt: Date.now() - 10_000 };
  control.update({ activity: "earning", currentJob: { ...job, completionTokens: 400, elapsedMs: 10_000 } });
  await expect(earnings.liveRate).toHaveText("Earning now: about $6.48 per hour (40.0 tokens/s)");
  // The rate moves with the agent's next progress snapshot: 1 000 tokens in 20 s is 50 tokens/s.
  control.update({ currentJob: { ...job, completionTokens: 1_000, elapsedMs: 20_000 } });
  await expect(earnings.liveRate).toHaveText("Earning now: about $8.10 per hour (50.0 tokens/s)");

  control.earnings = (range) => {
    const view = sampleEarningsView(range, control.now());
    const coordinator = view.coordinator && { ...view.coordinator, balances: { ...view.coordinator.balances, pendingMicroUsd: 9_999 } };
    return { ok: true, value: { ...view, coordinator } };
  };
  control.update({ currentJob: null, earnings: { ...control.state.earnings, jobsServed: control.state.earnings.jobsServed + 1 } });
  await expect(earnings.balance("pending")).toHaveText("$0.009999");
  await expect(earnings.liveRate).toHaveText("Not serving a job right now.");
});

test("says so when nothing was earned yet", async ({ page, control, server }) => {
  control.earnings = (range) => ({ ok: true, value: emptyEarningsView(range) });
  const earnings = new EarningsPage(page);
  await earnings.open(server.url);
  await expect(earnings.jobsEmpty).toHaveText("No jobs in this period yet. A job shows here as soon as this node serves one.");
  await expect(earnings.chartSummary).toHaveText("Nothing earned in the last 24 hours.");
  await expect(earnings.balance("available")).toHaveText("$0.00");
  await expect(page.getByTestId("reconciliation-agree")).toHaveText("No receipts signed in this period.");
});

test("shows the node's own receipts when the coordinator cannot be reached", async ({ page, control, server }) => {
  control.earnings = (range) => {
    const view = sampleEarningsView(range);
    return {
      ok: true,
      value: {
        ...view,
        coordinator: null,
        coordinatorError: "the coordinator at http://127.0.0.1:9 did not answer (fetch failed)",
        rows: view.rows.map((r) => ({ ...r, state: "unchecked" as const, amountMicroUsd: null })),
        reconciliation: { ...view.reconciliation, notes: ["4 receipts signed here could not be checked: the coordinator did not answer."] },
      },
    };
  };
  const earnings = new EarningsPage(page);
  await earnings.open(server.url);
  await expect(earnings.coordinatorError).toContainText("Could not reach the coordinator: the coordinator at http://127.0.0.1:9 did not answer");
  await expect(earnings.balance("available")).toHaveCount(0);
  await expect(earnings.jobRows).toHaveCount(4);
  await expect(earnings.jobRows.getByTestId("job-state")).toHaveText(["Not checked", "Not checked", "Not checked", "Not checked"]);
});

test("shows an error it can retry, and loading while it asks", async ({ page, control, server }) => {
  control.earnings = () => ({ ok: false, error: "This node keeps no receipt record, so it cannot show its earnings." });
  const earnings = new EarningsPage(page);
  await earnings.open(server.url);
  await expect(earnings.error).toContainText("Could not load your earnings");
  await expect(earnings.error).toContainText("This node keeps no receipt record");

  const gate: { open: (() => void) | null } = { open: null };
  control.earnings = (range) => ({ ok: true, value: sampleEarningsView(range) });
  const slow = control.getEarnings.bind(control);
  control.getEarnings = async (range) => {
    await new Promise<void>((resolve) => (gate.open = resolve));
    return slow(range);
  };
  await page.getByRole("button", { name: "Try again" }).click();
  await expect(earnings.loading).toHaveText("Asking the coordinator for your earnings…");
  await expect.poll(() => gate.open !== null).toBe(true);
  gate.open?.();
  await expect(earnings.balance("available")).toHaveText("$12.50");
});
