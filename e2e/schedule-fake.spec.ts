/**
 * The Schedule page in Chromium, served by the real control server in front of an in-memory
 * agent: painting hours with the mouse and the keyboard, the sentence that follows, Save, and a
 * reload that shows what was saved.
 */
import { scheduleSummary } from "../shared/sharing-policy";
import type { WeeklyWindow } from "../shared/sharing-types";
import type { FakeControlApi } from "../tests/fake-electron/fake-control-api";
import { SchedulePage } from "./pages/schedule-page";
import { expect, test } from "./support/fixtures";

/** The sentence the page must show for these hours in "On a schedule". */
const sentence = (windows: WeeklyWindow[], mode: "schedule" | "idle-in-schedule" = "schedule") =>
  scheduleSummary({ mode, windows, idleMinutes: 10 });

/** The rules of the agent's last updateSettings call. */
const lastSavedRules = (control: FakeControlApi) => control.settingsCalls.at(-1)?.rules;

test("painting with the mouse changes the sentence, Save sends the windows, and a reload shows them", async ({ page, control, server }) => {
  const schedule = new SchedulePage(page);
  await schedule.open(server.url);
  await expect(schedule.rows).toHaveCount(7);
  await expect(schedule.rows.first().getByRole("rowheader")).toHaveText("Mon");
  await expect(schedule.rows.first().getByRole("gridcell")).toHaveCount(48);
  await expect(schedule.mode("Always")).toBeChecked();
  await expect(schedule.summary).toHaveText("Shares always");
  await expect(schedule.unsaved).toHaveCount(0);

  await schedule.mode("On a schedule").check();
  await expect(schedule.summary).toHaveText("Never shares (no hours painted)");
  await expect(schedule.unsaved).toBeVisible();

  // An evening on Monday to Friday: one drag per day, from 19:00 to the end of 22:30.
  for (const day of ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]) {
    await schedule.drag(`${day} 19:00–19:30`, `${day} 22:30–23:00`);
  }
  const evenings = [1, 2, 3, 4, 5].map((day) => ({ day, startMinute: 19 * 60, endMinute: 23 * 60 }));
  await expect(schedule.summary).toHaveText(sentence(evenings));
  await expect(schedule.summary).toHaveText("Shares weekdays 19:00–23:00");
  await expect(schedule.cell("Wednesday 21:00–21:30")).toHaveAttribute("aria-selected", "true");

  // Pressing on a painted cell erases: Friday from 21:00 on goes off.
  await schedule.drag("Friday 21:00–21:30", "Friday 22:30–23:00");
  const hours = [...evenings.slice(0, 4), { day: 5, startMinute: 19 * 60, endMinute: 21 * 60 }];
  await expect(schedule.summary).toHaveText(sentence(hours));
  await page.screenshot({ path: test.info().outputPath("schedule-painting-light.png"), fullPage: true });

  await schedule.save.click();
  await expect(schedule.notice).toHaveText("Schedule saved.");
  await expect(schedule.unsaved).toHaveCount(0);
  expect(control.settingsCalls).toHaveLength(1);
  expect(lastSavedRules(control)).toMatchObject({ mode: "schedule", windows: hours, pausedUntil: null, idleMinutes: 10 });
  expect(control.settings.rules.windows).toEqual(hours);

  await page.reload();
  await expect(schedule.grid).toBeVisible();
  await expect(schedule.mode("On a schedule")).toBeChecked();
  await expect(schedule.summary).toHaveText(sentence(hours));
  expect(await schedule.paintedCells()).toHaveLength(4 * 8 + 4);
  await expect(schedule.cell("Friday 21:00–21:30")).toHaveAttribute("aria-selected", "false");
  await page.screenshot({ path: test.info().outputPath("schedule-light.png"), fullPage: true });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: test.info().outputPath("schedule-dark.png"), fullPage: true });
});

test("a touch drag paints too (pointer events with pointerType touch)", async ({ page, server }) => {
  const schedule = new SchedulePage(page);
  await schedule.open(server.url);
  await schedule.mode("On a schedule").check();
  await schedule.cell("Sunday 06:00–06:30").evaluate((cell) => cell.scrollIntoView({ block: "center" }));
  const from = await schedule.cell("Sunday 06:00–06:30").boundingBox();
  const to = await schedule.cell("Sunday 07:30–08:00").boundingBox();
  if (from === null || to === null) throw new Error("cell not on screen");
  const at = (box: { x: number; y: number; width: number; height: number }) => ({ clientX: box.x + box.width / 2, clientY: box.y + box.height / 2 });
  const touch = { pointerId: 7, pointerType: "touch", isPrimary: true, bubbles: true };
  await schedule.cell("Sunday 06:00–06:30").dispatchEvent("pointerdown", { ...touch, ...at(from) });
  await schedule.grid.dispatchEvent("pointermove", { ...touch, ...at(to) });
  await schedule.grid.dispatchEvent("pointerup", { ...touch, ...at(to) });
  await expect(schedule.summary).toHaveText(sentence([{ day: 0, startMinute: 360, endMinute: 480 }]));
});

test("painting with the keyboard: arrows move, Space toggles, Shift+arrow paints along", async ({ page, control, server }) => {
  const schedule = new SchedulePage(page);
  await schedule.open(server.url);
  await schedule.mode("Idle within the schedule").check();

  await schedule.cell("Saturday 08:00–08:30").focus();
  await page.keyboard.press("Space");
  for (let i = 0; i < 3; i++) await page.keyboard.press("Shift+ArrowRight");
  await expect(schedule.cell("Saturday 09:30–10:00")).toBeFocused();
  await expect(schedule.summary).toHaveText(sentence([{ day: 6, startMinute: 8 * 60, endMinute: 10 * 60 }], "idle-in-schedule"));

  // A plain arrow moves without painting; Shift+arrow from an empty cell starts painting it on.
  await page.keyboard.press("ArrowDown");
  await expect(schedule.cell("Sunday 09:30–10:00")).toBeFocused();
  await expect(schedule.cell("Sunday 09:30–10:00")).toHaveAttribute("aria-selected", "false");
  await page.keyboard.press("Shift+ArrowLeft");
  await expect(schedule.cell("Sunday 09:00–09:30")).toHaveAttribute("aria-selected", "true");
  await expect(schedule.cell("Sunday 09:30–10:00")).toHaveAttribute("aria-selected", "true");

  // Enter toggles the focused cell back off.
  await page.keyboard.press("Enter");
  const windows = [
    { day: 0, startMinute: 9 * 60 + 30, endMinute: 10 * 60 },
    { day: 6, startMinute: 8 * 60, endMinute: 10 * 60 },
  ];
  await expect(schedule.summary).toHaveText(sentence(windows, "idle-in-schedule"));

  await schedule.save.click();
  await expect(schedule.notice).toHaveText("Schedule saved.");
  expect(lastSavedRules(control)).toMatchObject({ mode: "idle-in-schedule", windows });
});

test("idle time, memory, pause rules and the owner's apps are saved with the schedule", async ({ page, control, server }) => {
  const schedule = new SchedulePage(page);
  await schedule.open(server.url);
  // This platform's sample has no battery signal: the rule says so.
  await expect(page.getByText("Not available on this platform, so this rule never pauses.").first()).toBeVisible();
  await schedule.mode("When idle").check();
  await schedule.idleMinutes.fill("20");
  await expect(schedule.summary).toHaveText("Shares whenever you're away 20 minutes");
  await schedule.freeMemory.fill("2.5");
  await schedule.rule("Pause on battery power").uncheck();
  await schedule.rule("Free GPU memory while paused").check();
  await schedule.appName.fill("blender");
  await page.keyboard.press("Enter");
  await schedule.appName.fill("Premiere Pro");
  await schedule.addApp.click();
  await expect(schedule.apps).toHaveText(["blender×", "Premiere Pro×"]);
  await page.getByRole("button", { name: "Remove blender" }).click();
  await expect(schedule.apps).toHaveText(["Premiere Pro×"]);

  await schedule.save.click();
  await expect(schedule.notice).toHaveText("Schedule saved.");
  expect(lastSavedRules(control)).toEqual({
    ...control.settings.rules,
    mode: "idle",
    idleMinutes: 20,
    minFreeMemoryBytes: 2.5 * 2 ** 30,
    pauseOnBattery: false,
    freeGpuWhenPaused: true,
    ownApps: ["Premiere Pro"],
  });
  expect(control.settings.rules).toMatchObject({ mode: "idle", ownApps: ["Premiere Pro"] });
});

test("bad values and the agent's refusals show, and nothing is lost", async ({ page, control, server }) => {
  const schedule = new SchedulePage(page);
  await schedule.open(server.url);
  await schedule.idleMinutes.fill("0");
  await schedule.save.click();
  await expect(schedule.error).toHaveText("Some values are not valid; nothing was saved.");
  await expect(page.getByText("Enter a whole number of minutes from 1 to 1,440.")).toBeVisible();
  expect(control.settingsCalls).toEqual([]);

  await schedule.idleMinutes.fill("15");
  await schedule.drag("Sunday 10:00–10:30", "Sunday 11:00–11:30");
  control.failWith = "The settings file is read-only";
  await schedule.save.click();
  await expect(schedule.error).toHaveText("The settings file is read-only");
  await expect(schedule.cell("Sunday 10:30–11:00")).toHaveAttribute("aria-selected", "true");
  await expect(schedule.unsaved).toHaveCount(0);
  await page.screenshot({ path: test.info().outputPath("schedule-error.png"), fullPage: true });

  control.failWith = null;
  await schedule.save.click();
  await expect(schedule.notice).toHaveText("Schedule saved.");
  expect(control.settings.rules).toMatchObject({ idleMinutes: 15, windows: [{ day: 0, startMinute: 600, endMinute: 690 }] });
});

test("a pause set from elsewhere survives saving the schedule", async ({ page, control, server }) => {
  const schedule = new SchedulePage(page);
  await schedule.open(server.url);
  const until = Date.now() + 3_600_000;
  await control.pause(until);
  await schedule.mode("Off").check();
  await schedule.save.click();
  await expect(schedule.notice).toHaveText("Schedule saved.");
  expect(lastSavedRules(control)).toMatchObject({ mode: "off", pausedUntil: until });
});

test("says so when the schedule cannot be read", async ({ page, control, server }) => {
  const schedule = new SchedulePage(page);
  await page.goto(server.url);
  await expect(page.getByTestId("activity")).toBeVisible();
  control.failWith = "The settings file is damaged";
  await schedule.shell.goTo("Schedule");
  await expect(page.getByRole("alert")).toContainText("Could not read the schedule");
  await expect(page.getByRole("alert")).toContainText("The settings file is damaged");
  control.failWith = null;
  await page.getByRole("button", { name: "Try again" }).click();
  await expect(schedule.grid).toBeVisible();
});
