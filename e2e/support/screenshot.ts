/** Screenshots kept as test artifacts. */
import type { Page, TestInfo } from "@playwright/test";

/** A full-page screenshot saved in the test's output folder and attached to its report. */
export async function attachScreenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const file = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  await testInfo.attach(name, { path: file, contentType: "image/png" });
}
