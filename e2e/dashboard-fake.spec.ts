/**
 * The built dashboard in Chromium, served by the real control server in front of an in-memory
 * agent whose state the test changes.
 */
import { expect, test } from "./support/fixtures";
import { DashboardPage } from "./pages/dashboard-page";

test("shows the node's state, model, hardware, speed and money", async ({ page, server }) => {
  const dashboard = new DashboardPage(page);
  await dashboard.open(server.url);
  await expect(dashboard.activity).toHaveText("Off");
  await expect(dashboard.reason).toHaveText("sharing is switched off");
  await expect(dashboard.shareSwitch).toHaveAttribute("aria-checked", "false");
  await expect(dashboard.model).toHaveText("Offpeak demo (tiny)");
  await expect(dashboard.demoModel).toHaveText("demo model, random weights");
  await expect(dashboard.backend).toHaveText("CPU");
  await expect(dashboard.tokensPerSecond).toHaveText("413 tokens/s");
  await expect(dashboard.earningsToday).toHaveText("$0.001234");
  await expect(dashboard.balance).toHaveText("$12.50");
  await expect(dashboard.coordinator).toHaveText("Connected to the network");
  // The token leaves the address bar once read, and a reload still works.
  expect(page.url()).not.toContain("token");
  await page.reload();
  await expect(dashboard.activity).toHaveText("Off");
  await page.screenshot({ path: "test-results/screenshots/dashboard-light.png", fullPage: true });
});

test("the Share switch turns sharing on with a click and off with the keyboard", async ({ page, control, server }) => {
  const dashboard = new DashboardPage(page);
  await dashboard.open(server.url);

  await dashboard.shareSwitch.click();
  await expect(dashboard.shareSwitch).toHaveAttribute("aria-checked", "true");
  await expect(dashboard.activity).toHaveText("Ready");
  await expect(dashboard.reason).toHaveText("waiting for jobs");
  expect(control.sharingCalls).toEqual([true]);

  await dashboard.shareSwitch.focus();
  await page.keyboard.press("Space");
  await expect(dashboard.shareSwitch).toHaveAttribute("aria-checked", "false");
  await expect(dashboard.activity).toHaveText("Off");
  expect(control.sharingCalls).toEqual([true, false]);
});

test("changes pushed by the agent show up without a reload", async ({ page, control, server }) => {
  const dashboard = new DashboardPage(page);
  await dashboard.open(server.url);
  control.update({
    sharing: true,
    activity: "earning",
    reason: "Earning: serving a job for offpeak-demo-tiny",
    currentJob: { jobId: "job-2", model: "offpeak-demo-tiny", startedAt: Date.now(), completionTokens: 17, elapsedMs: 900 },
    earnings: { todayMicroUsd: 2_468, balanceMicroUsd: 12_501_234, jobsServed: 4 },
  });
  await expect(dashboard.activity).toHaveText("Earning");
  await expect(dashboard.page.getByTestId("current-job")).toHaveText("Current job: 17 tokens generated so far");
  await expect(dashboard.earningsToday).toHaveText("$0.002468");
  expect(await dashboard.balanceMicroUsd()).toBe(12_501_234);
  await page.screenshot({ path: "test-results/screenshots/dashboard-earning.png", fullPage: true });

  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: "test-results/screenshots/dashboard-dark.png", fullPage: true });
});

test("empty states before the first job and without a model", async ({ page, control, server }) => {
  control.update({ lastJob: null, model: null, hardware: null, demoModel: false, earnings: { todayMicroUsd: 0, balanceMicroUsd: 0, jobsServed: 0 } });
  const dashboard = new DashboardPage(page);
  await dashboard.open(server.url);
  await expect(dashboard.tokensPerSecond).toHaveText("No jobs yet. Switch sharing on to receive some.");
  await expect(dashboard.model).toHaveText("No model loaded yet.");
  await expect(dashboard.demoModel).toHaveCount(0);
  await expect(dashboard.earningsToday).toHaveText("$0.00");
  await page.screenshot({ path: "test-results/screenshots/dashboard-empty.png", fullPage: true });
});

test("says so when the node goes away, and when the link's token is wrong", async ({ page, control, server, startNode }) => {
  const dashboard = new DashboardPage(page);
  await dashboard.open(server.url);
  await server.close();
  await expect(dashboard.disconnected).toBeVisible();
  await expect(dashboard.shareSwitch).toBeDisabled();
  await page.screenshot({ path: "test-results/screenshots/dashboard-disconnected.png", fullPage: true });

  const restarted = (await startNode(control)).server;
  await page.goto(`http://127.0.0.1:${restarted.port}/#token=${"A".repeat(43)}`);
  await expect(dashboard.error).toContainText("This dashboard link is no longer valid");

  const fresh = await page.context().newPage();
  await fresh.goto(`http://127.0.0.1:${restarted.port}/`);
  await expect(new DashboardPage(fresh).error).toContainText("Open the full dashboard link");
});

test("shows the sandbox, the worker, and why this backend", async ({ page, control, server }) => {
  const dashboard = new DashboardPage(page);
  await dashboard.open(server.url);
  await expect(dashboard.sandbox).toHaveText("Sandboxed (bubblewrap): no network, read-only code and models");
  await expect(dashboard.worker).toHaveText("Ready");
  await expect(dashboard.backendReason).toHaveText("No supported GPU found; using the CPU");
  control.update({ worker: { state: "restarting", reason: "the worker crashed (exit code 139); restarting in 2 s" } });
  await expect(dashboard.worker).toHaveText("Restarting: the worker crashed (exit code 139); restarting in 2 s");
  await page.screenshot({ path: test.info().outputPath("dashboard-worker.png"), fullPage: true });
});
