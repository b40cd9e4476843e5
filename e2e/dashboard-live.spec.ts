/**
 * The dashboard of a real node: `offpeak up` as a person runs it, the page in Chromium, and a
 * request from the official openai client. The earnings on the page rise after the request;
 * the Share switch in the page changes the node's state.
 */
import { expect, test } from "@playwright/test";
import OpenAI from "openai";
import { DashboardPage } from "./pages/dashboard-page";
import { makeLiveDataDir, startLiveHost, type LiveHost } from "./support/live-host";

let dataDir: Awaited<ReturnType<typeof makeLiveDataDir>> | undefined;
let host: LiveHost | undefined;
let printed: ReadonlyMap<string, string> = new Map();

test.beforeAll(async () => {
  test.setTimeout(180_000);
  // An owner who finished the first-run setup (onboarding-fake.spec.ts covers the setup itself).
  dataDir = await makeLiveDataDir("offpeak-live-", { onboarded: true });
  host = await startLiveHost(dataDir.dir);
  printed = host.printed;
});

test.afterAll(async () => {
  await host?.stop();
  await dataDir?.remove();
});

test("earnings rise on the dashboard after a request from the openai client", async ({ page }) => {
  const dashboard = new DashboardPage(page);
  await dashboard.open(printed.get("DASHBOARD_URL") ?? "");
  await expect(dashboard.activity).toHaveText("Ready", { timeout: 30_000 });
  await expect(dashboard.demoModel).toHaveText("demo model, random weights");
  await expect(dashboard.backend).toContainText(/cpu/i);
  const before = await dashboard.balanceMicroUsd();
  const todayBefore = await dashboard.earningsTodayMicroUsd();
  await page.screenshot({ path: test.info().outputPath("dashboard-before.png") });

  const client = new OpenAI({ apiKey: printed.get("OPENAI_API_KEY"), baseURL: printed.get("OPENAI_BASE_URL"), maxRetries: 0 });
  const result = await client.chat.completions.create({
    model: "offpeak-demo",
    messages: [{ role: "user", content: "Tell me a story" }],
    max_tokens: 24,
  });
  expect(result.usage?.completion_tokens).toBeGreaterThan(0);

  await expect.poll(() => dashboard.balanceMicroUsd(), { timeout: 10_000 }).toBeGreaterThan(before);
  expect(await dashboard.earningsTodayMicroUsd()).toBeGreaterThan(todayBefore);
  await expect(dashboard.tokensPerSecond).not.toHaveText(/^—?$/);
  await page.screenshot({ path: test.info().outputPath("dashboard-after.png") });
});

test("the Share switch in the page turns the node off and on", async ({ page }) => {
  const dashboard = new DashboardPage(page);
  await dashboard.open(printed.get("DASHBOARD_URL") ?? "");
  await expect(dashboard.shareSwitch).toHaveAttribute("aria-checked", "true");
  await dashboard.shareSwitch.click();
  await expect(dashboard.shareSwitch).toHaveAttribute("aria-checked", "false");
  await expect(dashboard.activity).toHaveText("Off");

  const client = new OpenAI({ apiKey: printed.get("OPENAI_API_KEY"), baseURL: printed.get("OPENAI_BASE_URL"), maxRetries: 0 });
  await expect(client.completions.create({ model: "offpeak-demo", prompt: "x", max_tokens: 2 })).rejects.toMatchObject({ status: 503 });

  await dashboard.shareSwitch.click();
  await expect(dashboard.activity).toHaveText("Ready", { timeout: 10_000 });
  await expect
    .poll(async () => (await client.completions.create({ model: "offpeak-demo", prompt: "x", max_tokens: 2 }).catch(() => null)) !== null, {
      timeout: 10_000,
    })
    .toBe(true);
});
