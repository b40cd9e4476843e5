/**
 * The Earnings page of a real node: `offpeak up` as a person runs it, the page in Chromium, and a
 * request from the official openai client. The pending balance and the job list grow after the
 * request, and the node's receipt is credited (no difference with the coordinator).
 */
import { expect, test } from "@playwright/test";
import OpenAI from "openai";
import { EarningsPage } from "./pages/earnings-page";
import { makeLiveDataDir, startLiveHost, type LiveHost } from "./support/live-host";

let dataDir: Awaited<ReturnType<typeof makeLiveDataDir>> | undefined;
let host: LiveHost | undefined;
let printed: ReadonlyMap<string, string> = new Map();

test.beforeAll(async () => {
  test.setTimeout(180_000);
  dataDir = await makeLiveDataDir("offpeak-earnings-live-");
  host = await startLiveHost(dataDir.dir);
  printed = host.printed;
});

test.afterAll(async () => {
  await host?.stop();
  await dataDir?.remove();
});

test("pending earnings and the job list grow after a request from the openai client", async ({ page }) => {
  const earnings = new EarningsPage(page);
  await earnings.open(printed.get("DASHBOARD_URL") ?? "");
  await expect(earnings.balance("pending")).toBeVisible({ timeout: 30_000 });
  const pendingBefore = await earnings.balanceMicroUsd("pending");
  const jobsBefore = await earnings.jobRows.count();

  const client = new OpenAI({ apiKey: printed.get("OPENAI_API_KEY"), baseURL: printed.get("OPENAI_BASE_URL"), maxRetries: 0 });
  const result = await client.chat.completions.create({ model: "offpeak-demo", messages: [{ role: "user", content: "Tell me a story" }], max_tokens: 24 });
  expect(result.usage?.completion_tokens).toBeGreaterThan(0);

  await expect.poll(() => earnings.balanceMicroUsd("pending"), { timeout: 15_000 }).toBeGreaterThan(pendingBefore);
  await expect(earnings.jobRows).toHaveCount(jobsBefore + 1);
  await expect(earnings.jobRows.first().getByTestId("job-state")).toHaveText("Pending");
  await expect(earnings.balance("available")).toHaveText("$0.00");
  await expect(page.getByTestId("reconciliation-note")).toHaveText([/pending: credited, available once the verification window ends/]);
  await page.screenshot({ path: test.info().outputPath("earnings-live.png"), fullPage: true });
});
