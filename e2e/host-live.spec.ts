/**
 * The real headless host (`offpeak up`) driven from its dashboard in Chromium: a schedule painted
 * with the mouse survives a restart of the host on the same data folder, and a model downloaded
 * from an address shows its progress moving, then is listed as installed.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { generateDemoModel } from "../electron/agent/models/demo-model";
import { startModelTestServer } from "../electron/agent/models/download-test-server";
import { scheduleSummary } from "../shared/sharing-policy";
import { ModelsPage } from "./pages/models-page";
import { SchedulePage } from "./pages/schedule-page";
import { expect, test } from "./support/live-fixtures";
import { attachScreenshot } from "./support/screenshot";

test("a schedule painted in the grid is the same after the host restarts", async ({ page, liveHost }, testInfo) => {
  test.setTimeout(420_000);
  await liveHost.makeDataDir("offpeak-host-schedule-", { onboarded: true });
  let host = await liveHost.start();

  const schedule = new SchedulePage(page);
  await schedule.open(host.dashboardUrl);
  await schedule.mode("On a schedule").check();
  await schedule.drag("Monday 09:00–09:30", "Monday 10:30–11:00");
  await schedule.drag("Saturday 14:00–14:30", "Saturday 15:30–16:00");
  const hours = [
    { day: 1, startMinute: 9 * 60, endMinute: 11 * 60 },
    { day: 6, startMinute: 14 * 60, endMinute: 16 * 60 },
  ];
  const sentence = scheduleSummary({ mode: "schedule", windows: hours, idleMinutes: 10 });
  await expect(schedule.summary).toHaveText(sentence);
  const painted = await schedule.paintedCells();
  expect(painted).toHaveLength(8);
  expect(painted).toContain("Saturday 15:30–16:00");
  await schedule.save.click();
  await expect(schedule.notice).toHaveText("Schedule saved.");
  await expect(schedule.unsaved).toHaveCount(0);
  await attachScreenshot(page, testInfo, "schedule-saved");

  await liveHost.stop();
  host = await liveHost.start();
  await schedule.open(host.dashboardUrl);
  await expect(schedule.mode("On a schedule")).toBeChecked();
  await expect(schedule.summary).toHaveText(sentence);
  expect(await schedule.paintedCells()).toEqual(painted);
  await attachScreenshot(page, testInfo, "schedule-after-restart");
});

test("a model downloaded from an address shows its progress moving, then is installed", async ({ page, liveHost }, testInfo) => {
  test.setTimeout(300_000);
  const dataDir = await liveHost.makeDataDir("offpeak-host-models-", { onboarded: true });
  const model = await generateDemoModel({ path: path.join(dataDir, "served.gguf"), shape: "tiny", type: "q8_0", seed: 5 });
  const fileServer = liveHost.closeAfterHost(await startModelTestServer());
  // Small chunks with pauses, so the download lasts a few seconds and the bar is seen moving; the
  // ETag carries the sha256, as Hugging Face does, so the file is verified against it.
  fileServer.files.set("/files/host-live-tiny.gguf", { body: await readFile(model.path), etag: model.sha256, chunkBytes: 4096, chunkDelayMs: 100 });
  const host = await liveHost.start();

  const models = new ModelsPage(page);
  await models.open(host.dashboardUrl);
  await models.addressField.fill(`${fileServer.baseUrl}/files/host-live-tiny.gguf`);
  await models.addressDownload.click();
  const bar = models.progressBar("host-live-tiny");
  const state = models.download("host-live-tiny").getByTestId("download-state");
  await expect(bar).toBeVisible({ timeout: 15_000 });

  // Every percentage the bar shows until the download is done (bounded by the deadline).
  const seen: number[] = [];
  let shot = false;
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline && (await state.textContent()) !== "Done") {
    const now = Number((await bar.getAttribute("aria-valuenow")) ?? Number.NaN);
    if (Number.isFinite(now) && now !== seen.at(-1)) seen.push(now);
    if (!shot && now > 0 && now < 100) {
      shot = true;
      await attachScreenshot(page, testInfo, "download-in-progress");
    }
    await page.waitForTimeout(50);
  }
  await expect(state).toHaveText("Done");
  const belowDone = seen.filter((p) => p < 100);
  expect(belowDone.length, `percentages seen: ${seen.join(", ")}`).toBeGreaterThanOrEqual(2);
  expect(belowDone.at(-1)).toBeGreaterThan(belowDone[0] ?? 100);
  await expect(bar).toHaveAttribute("aria-valuenow", "100");
  expect(fileServer.requests.filter((r) => r.path === "/files/host-live-tiny.gguf").length).toBeGreaterThanOrEqual(1);

  const installed = models.installed.filter({ hasText: "host-live-tiny.gguf" });
  await expect(installed).toHaveCount(1, { timeout: 15_000 });
  await expect(installed).toContainText(path.join(dataDir, "models", "host-live-tiny.gguf"));
  await attachScreenshot(page, testInfo, "download-done");
});
