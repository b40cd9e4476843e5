/**
 * The Earnings page of a real node: `offpeak up` as a person runs it, the page in Chromium, and a
 * request from the official openai client. The pending balance and the job list grow after the
 * request, and the node's receipt is credited (no difference with the coordinator).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import OpenAI from "openai";
import { EarningsPage } from "./pages/earnings-page";

const repoRoot = path.resolve(import.meta.dirname, "..");
let dataDir: string;
let up: ChildProcess;
const printed = new Map<string, string>();

test.beforeAll(async () => {
  test.setTimeout(180_000);
  dataDir = await mkdtemp(path.join(tmpdir(), "offpeak-earnings-live-"));
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
