/**
 * Pausing from the Dashboard, the Signals card, and the Diagnostics page, in Chromium, served by
 * the real control server in front of an in-memory agent.
 */
import { sampleDiagnostics } from "../tests/fake-electron/fake-control-api";
import { DashboardPage } from "./pages/dashboard-page";
import { DiagnosticsPage } from "./pages/diagnostics-page";
import { expect, test } from "./support/fixtures";

test.beforeEach(async ({ control }) => {
  await control.setSharing(true);
  control.sharingCalls.length = 0;
});

/** How the pause's end reads: "14:30", or "tomorrow 00:30" when the hour runs past midnight. */
const pauseEnd = (at: number) => {
  const d = new Date(at);
  const time = `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
  return d.toDateString() === new Date().toDateString() ? time : `tomorrow ${time}`;
};

test("Pause for 1 hour shows Paused until …, and Resume brings sharing back", async ({ page, control, server }) => {
  const dashboard = new DashboardPage(page);
  await dashboard.open(server.url);
  await expect(dashboard.activity).toHaveText("Ready");
  await expect(dashboard.decision).toHaveText("Your rules: Sharing: always on");
  await expect(dashboard.resume).toHaveCount(0);

  const before = Date.now();
  await dashboard.pauseForHour.click();
  await expect(dashboard.activity).toHaveText("Paused");
  expect(control.pauseCalls).toHaveLength(1);
  const until = control.pauseCalls[0] as number;
  expect(until - before).toBeGreaterThanOrEqual(3_600_000);
  expect(until - Date.now()).toBeLessThanOrEqual(3_600_000);
  await expect(dashboard.reason).toHaveText(`Paused until ${pauseEnd(until)}`);
  await expect(page.getByTestId("activity-card")).toHaveClass(/activity-paused/);
  await expect(dashboard.shareSwitch).toHaveAttribute("aria-checked", "true");
  await page.screenshot({ path: test.info().outputPath("dashboard-paused-light.png"), fullPage: true });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: test.info().outputPath("dashboard-paused-dark.png"), fullPage: true });

  await dashboard.resume.click();
  await expect(dashboard.activity).toHaveText("Ready");
  await expect(dashboard.reason).toHaveText("waiting for jobs");
  await expect(dashboard.resume).toHaveCount(0);
  expect(control.pauseCalls).toEqual([until, "resume"]);
  expect(control.settings.rules.pausedUntil).toBeNull();
});

test("Pause until tomorrow pauses until 08:00 the next day", async ({ page, control, server }) => {
  const dashboard = new DashboardPage(page);
  await dashboard.open(server.url);
  await dashboard.pauseUntilTomorrow.click();
  await expect(dashboard.activity).toHaveText("Paused");
  const today = new Date();
  const expected = new Date(today.getFullYear(), today.getMonth(), today.getDate() + 1, 8, 0).getTime();
  expect(control.pauseCalls).toEqual([expected]);
  await expect(dashboard.reason).toHaveText("Paused until tomorrow 08:00");
});

test("a refused pause shows the agent's reason", async ({ page, control, server }) => {
  const dashboard = new DashboardPage(page);
  await dashboard.open(server.url);
  control.failWith = "The node is shutting down";
  await dashboard.pauseForHour.click();
  await expect(page.getByTestId("pause-error")).toHaveText("The node is shutting down");
  await expect(dashboard.activity).toHaveText("Ready");
});

test("the Signals card shows what was sampled and says what this platform does not offer", async ({ page, control, server }) => {
  const dashboard = new DashboardPage(page);
  await dashboard.open(server.url);
  await expect(dashboard.signal("Power")).toHaveText("not available on this platform");
  await expect(dashboard.signal("Temperature")).toHaveText("not available on this platform");
  await expect(dashboard.signal("GPU")).toHaveText("not available on this platform");
  await expect(dashboard.signal("Keyboard and mouse")).toHaveText("Idle for 7 min");
  await expect(dashboard.signal("Free memory")).toHaveText("5 GB");
  const latest = control.state.signals.latest;
  if (latest === null) throw new Error("the sample has signals");
  control.update({
    signals: {
      latest: { ...latest, onBattery: true, game: { name: "Cyberpunk 2077", source: "steam" } },
      available: { ...control.state.signals.available, battery: true },
    },
  });
  await expect(dashboard.signal("Power")).toHaveText("On battery");
  await expect(dashboard.signal("Games")).toHaveText("Cyberpunk 2077 is running (found through Steam)");
  await dashboard.signals.screenshot({ path: test.info().outputPath("signals.png") });
});

test("Diagnostics shows the node's reason and the coordinator's notes, and Refresh asks again", async ({ page, control, server }) => {
  await control.pause(Date.now() + 3_600_000);
  const diagnostics = new DiagnosticsPage(page);
  await diagnostics.open(server.url);
  await expect(diagnostics.verdict).toHaveText(/^Paused until (tomorrow )?\d\d:\d\d$/);
  // The headline says it; the list does not repeat it, and nothing claims all is well.
  await expect(diagnostics.problems).toHaveCount(0);
  await expect(page.getByTestId("node-problems-none")).toHaveCount(0);
  await expect(diagnostics.notes).toHaveText(["No demand for offpeak-demo-tiny in the last hour.", "3 other nodes serve offpeak-demo-tiny."]);
  await expect(diagnostics.fact("diag-connected")).toHaveText("Yes");
  await expect(diagnostics.fact("diag-jobs")).toHaveText("0 jobs on the network");
  await expect(diagnostics.fact("diag-other-nodes")).toHaveText("3");
  await page.screenshot({ path: test.info().outputPath("diagnostics-light.png"), fullPage: true });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: test.info().outputPath("diagnostics-dark.png"), fullPage: true });
  await page.emulateMedia({ colorScheme: "light" });

  await control.resume();
  control.coordinatorView = sampleDiagnostics({
    jobsLastHour: 42,
    servedLastHour: 5,
    queued: 2,
    notes: ["This node served 5 of 42 jobs for offpeak-demo-tiny in the last hour."],
  });
  await diagnostics.refresh.click();
  await expect(diagnostics.notes).toHaveText(["This node served 5 of 42 jobs for offpeak-demo-tiny in the last hour."]);
  await expect(diagnostics.fact("diag-served")).toHaveText("5 jobs");
  await expect(diagnostics.fact("diag-queued")).toHaveText("2 jobs");
  await expect(diagnostics.verdict).toHaveText("Sharing: always on");
  await expect(page.getByTestId("node-problems-none")).toBeVisible();

  control.failWith = "The coordinator did not answer";
  await diagnostics.refresh.click();
  await expect(diagnostics.refreshError).toHaveText("Could not refresh: The coordinator did not answer");
  await expect(diagnostics.notes).toHaveCount(1);
});

test("Diagnostics says so when the node is not connected to a coordinator, or cannot answer", async ({ page, control, server }) => {
  control.coordinatorView = null;
  control.update({ coordinator: { url: "wss://offpeak.example/node", connected: false } });
  const diagnostics = new DiagnosticsPage(page);
  await diagnostics.open(server.url);
  await expect(diagnostics.notConnected).toContainText("not connected to a coordinator");
  await expect(diagnostics.problems).toHaveText(["This node is not connected to the network (wss://offpeak.example/node)."]);
  await expect(diagnostics.verdict).toHaveText("Sharing: always on");
  await page.screenshot({ path: test.info().outputPath("diagnostics-not-connected.png"), fullPage: true });

  control.failWith = "The node is shutting down";
  await diagnostics.shell.goTo("Dashboard");
  await diagnostics.shell.goTo("Diagnostics");
  await expect(page.getByRole("alert")).toContainText("Could not run the diagnostics");
  await expect(page.getByRole("alert")).toContainText("The node is shutting down");
});
