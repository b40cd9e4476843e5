/**
 * A screenshot of every page and every setup step, in light and dark, kept as test artifacts
 * (attached to the report and written to test-results/screenshots/) for a person to look at.
 * Each page must show its title; the pictures themselves are judged by eye.
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Page, TestInfo } from "@playwright/test";
import { ROUTES } from "../renderer/routes";
import { DEFAULT_SETTINGS } from "../shared/settings";
import { FakeControlApi, sampleCatalog, sampleInstalled, sampleNodeState } from "../tests/fake-electron/fake-control-api";
import { OnboardingPage } from "./pages/onboarding-page";
import { expect, test } from "./support/fixtures";

const SCHEMES = ["light", "dark"] as const;
const OUT = path.resolve(import.meta.dirname, "..", "test-results", "screenshots");

test.beforeAll(async () => {
  await mkdir(OUT, { recursive: true });
});

async function snap(page: Page, info: TestInfo, name: string): Promise<void> {
  const file = path.join(OUT, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  await info.attach(name, { path: file, contentType: "image/png" });
}

for (const scheme of SCHEMES) {
  test(`every page, ${scheme}`, async ({ page, startNode }, info) => {
    await page.emulateMedia({ colorScheme: scheme });
    const control = new FakeControlApi(sampleNodeState({ sharing: true, activity: "earning", reason: "Earning: serving a job for offpeak-demo-tiny" }));
    const { server } = await startNode(control);
    await page.goto(server.url);
    for (const route of ROUTES) {
      await page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: new RegExp(`^${route.label}\\b`) }).click();
      await expect(page.locator("#page-title")).toBeVisible();
      await expect(page.getByTestId("loading")).toHaveCount(0);
      await snap(page, info, `${route.route}-${scheme}`);
    }
  });

  test(`every setup step, ${scheme}`, async ({ page, startNode }, info) => {
    await page.emulateMedia({ colorScheme: scheme });
    const control = new FakeControlApi(sampleNodeState(), { installed: sampleInstalled(), catalog: sampleCatalog() }, DEFAULT_SETTINGS);
    const { server } = await startNode(control);
    const setup = new OnboardingPage(page);
    await setup.open(server.url);
    await snap(page, info, `setup-1-welcome-${scheme}`);
    await setup.getStarted.click();
    const steps = ["hardware", "model", "wallet", "sharing", "start"];
    for (const [i, step] of steps.entries()) {
      await expect(page.getByTestId("loading")).toHaveCount(0);
      await snap(page, info, `setup-${i + 2}-${step}-${scheme}`);
      if (step !== "start") await setup.next.click();
    }
    await expect(setup.title).toHaveText("Ready to start");
  });
}
