/**
 * The dashboard of a real node: `offpeak up` as a person runs it, the page in Chromium, and a
 * request from the official openai client. The earnings on the page rise after the request;
 * the Share switch in the page changes the node's state.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import OpenAI from "openai";
import { DashboardPage } from "./pages/dashboard-page";

const repoRoot = path.resolve(import.meta.dirname, "..");
let dataDir: string;
let up: ChildProcess;
const printed = new Map<string, string>();

test.beforeAll(async () => {
  test.setTimeout(180_000);
  dataDir = await mkdtemp(path.join(tmpdir(), "offpeak-live-"));
  // An owner who finished the first-run setup (onboarding-fake.spec.ts covers the setup itself).
  await writeFile(path.join(dataDir, "settings.json"), JSON.stringify({ onboarded: true }));
  up = spawn(process.execPath, [path.join(repoRoot, "bin", "offpeak.mjs"), "up", "--data-dir", dataDir, "--port", "0"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NODE_LLAMA_CPP_GPU: "false" },
  });
  let stderr = "";
  up.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  let buffer = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`offpeak up printed no DASHBOARD_URL in time: ${stderr}`)), 170_000);
    up.once("exit", (code) => reject(new Error(`offpeak up exited ${code}: ${stderr}`)));
    up.stdout?.on("data", (d: Buffer) => {
      buffer += d.toString();
      for (const line of buffer.split("\n")) {
        const eq = line.indexOf("=");
        if (eq > 0) printed.set(line.slice(0, eq), line.slice(eq + 1));
      }
      if (printed.has("DASHBOARD_URL")) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
});

test.afterAll(async () => {
  if (up && up.exitCode === null) {
    const exited = new Promise((r) => up.once("exit", r));
    up.kill("SIGTERM");
    await exited;
  }
  await rm(dataDir, { recursive: true, force: true });
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
