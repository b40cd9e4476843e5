/**
 * The first-run setup in Chromium, served by the real control server in front of an in-memory
 * agent that has not been set up yet: each step, what it saves, and that it shows only once.
 */
import type { ModelsView, Result } from "../shared/control-api";
import { DEFAULT_SETTINGS } from "../shared/settings";
import { FakeControlApi, sampleCatalog, sampleInstalled, sampleNodeState } from "../tests/fake-electron/fake-control-api";
import { DashboardPage } from "./pages/dashboard-page";
import { OnboardingPage } from "./pages/onboarding-page";
import { expect, test } from "./support/fixtures";

/** A fresh node whose model list fails the first `failures` times. */
class FreshNode extends FakeControlApi {
  constructor(private failures = 0) {
    super(sampleNodeState(), { installed: sampleInstalled(), catalog: sampleCatalog() }, DEFAULT_SETTINGS);
  }
  override async listModels(): Promise<Result<ModelsView>> {
    if (this.failures > 0) {
      this.failures -= 1;
      return { ok: false, error: "The catalog could not be read." };
    }
    return super.listModels();
  }
}

test("a first run goes from welcome to sharing, saving each choice", async ({ page, startNode }) => {
  const { control, server } = await startNode(new FreshNode());
  const setup = new OnboardingPage(page);
  await setup.open(server.url);
  await expect(setup.currentStep).toContainText("Welcome");
  await setup.getStarted.click();

  await expect(setup.title).toHaveText("Your machine");
  await expect(setup.title).toBeFocused();
  await expect(setup.verdict).toContainText("Good for sharing: 1 model runs well here.");
  await setup.next.click();

  await expect(setup.title).toHaveText("Pick a model");
  await expect(setup.model(/^Qwen2\.5 0\.5B Instruct/)).toBeChecked();
  await expect(setup.model(/^Llama 3\.1 70B/)).toHaveCount(0);
  await expect(page.getByText("1 more model needs more memory than this machine has.")).toBeVisible();
  await setup.next.click();
  await expect.poll(() => control.pullCalls).toEqual(["qwen2.5-0.5b-instruct-q4_k_m"]);

  await expect(setup.title).toHaveText("Your wallet");
  await expect(setup.address).toHaveText(control.state.address);
  await setup.next.click();

  await expect(setup.title).toHaveText("When to share");
  await setup.mode("When idle").check();
  // The dashboard in a browser is the headless node's: starting at login is not offered here.
  await expect(setup.launchAtLogin).toHaveCount(0);
  await expect(setup.loginHint).toBeVisible();
  await setup.next.click();
  await expect.poll(() => control.settings.rules.mode).toBe("idle");

  await expect(setup.title).toHaveText("Ready to start");
  await expect(page.getByTestId("setup-summary")).toContainText("When idle");
  expect(control.sharingCalls).toEqual([]);
  await setup.startSharing.click();

  const dashboard = new DashboardPage(page);
  await expect(dashboard.activity).toBeVisible();
  expect(control.sharingCalls).toEqual([true]);
  expect(control.settings.onboarded).toBe(true);
  await expect(dashboard.shareSwitch).toHaveAttribute("aria-checked", "true");

  // Finished once: a reload shows the Dashboard, not the setup.
  await page.reload();
  await expect(dashboard.activity).toBeVisible();
  await expect(setup.root).toHaveCount(0);
});

test("works with the keyboard alone", async ({ page, startNode }) => {
  const { control, server } = await startNode(new FreshNode());
  const setup = new OnboardingPage(page);
  await setup.open(server.url);
  await setup.getStarted.focus();
  await page.keyboard.press("Enter");
  await expect(setup.title).toBeFocused();
  // Back, then Continue, in tab order after the title.
  await page.keyboard.press("Tab");
  await page.keyboard.press("Tab");
  await expect(setup.next).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(setup.title).toHaveText("Pick a model");
  // Arrow keys move within the radio group; choose the installed demo model.
  await setup.model(/^Qwen2\.5/).focus();
  await page.keyboard.press("ArrowUp");
  await expect(setup.model(/^Offpeak demo/)).toBeChecked();
  await setup.next.focus();
  await page.keyboard.press("Enter");
  await expect(setup.title).toHaveText("Your wallet");
  // The model already served needs no call.
  expect(control.pullCalls).toEqual([]);
  expect(control.useCalls).toEqual([]);
});

test("Skip setup records it as done and leaves sharing as it was", async ({ page, startNode }) => {
  const { control, server } = await startNode(new FreshNode());
  const setup = new OnboardingPage(page);
  await setup.open(server.url);
  await setup.skip.click();
  await expect(new DashboardPage(page).activity).toBeVisible();
  expect(control.settings.onboarded).toBe(true);
  expect(control.sharingCalls).toEqual([]);
});

test("a failed read shows the error with a way to try again", async ({ page, startNode }) => {
  const { server } = await startNode(new FreshNode(1));
  const setup = new OnboardingPage(page);
  await setup.open(server.url);
  await setup.getStarted.click();
  await expect(page.getByRole("alert")).toContainText("The catalog could not be read.");
  await page.getByRole("button", { name: "Try again" }).click();
  await expect(setup.verdict).toContainText("Good for sharing");
});

test("can be run again from Settings", async ({ page, startNode }) => {
  const { server } = await startNode(new FakeControlApi());
  const dashboard = new DashboardPage(page);
  await dashboard.open(server.url);
  await page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: /^Settings\b/ }).click();
  await page.getByRole("link", { name: "Run the setup again" }).click();
  const setup = new OnboardingPage(page);
  await expect(setup.title).toHaveText("Welcome to Offpeak");
  await setup.skip.click();
  await expect(dashboard.activity).toBeVisible();
});

test("the wallet step offers the backup on the Wallet page, and the setup resumes where it was", async ({ page, startNode }) => {
  const { server } = await startNode(new FreshNode());
  const setup = new OnboardingPage(page);
  await setup.open(server.url);
  await setup.getStarted.click();
  await setup.next.click();
  await setup.model(/^Offpeak demo/).check();
  await setup.next.click();
  await expect(setup.title).toHaveText("Your wallet");
  await page.getByTestId("backup-link").click();
  await expect(page).toHaveURL(/#\/wallet$/);
  await expect(setup.root).toHaveCount(0);
  await page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: /^Dashboard\b/ }).click();
  await expect(setup.title).toHaveText("Your wallet");
});
