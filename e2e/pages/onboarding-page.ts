/** Page object of the first-run setup. */
import { expect, type Locator, type Page } from "@playwright/test";

export class OnboardingPage {
  readonly root: Locator;
  readonly title: Locator;
  readonly currentStep: Locator;
  readonly getStarted: Locator;
  readonly skip: Locator;
  readonly next: Locator;
  readonly back: Locator;
  readonly verdict: Locator;
  readonly modelGroup: Locator;
  readonly address: Locator;
  readonly launchAtLogin: Locator;
  readonly loginHint: Locator;
  readonly startSharing: Locator;
  readonly finishWithoutSharing: Locator;
  readonly error: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByTestId("onboarding");
    this.title = page.locator("#page-title");
    this.currentStep = page.getByRole("list", { name: "Setup steps" }).locator('[aria-current="step"]');
    this.getStarted = page.getByRole("button", { name: "Get started" });
    this.skip = page.getByRole("button", { name: "Skip setup" });
    this.next = page.getByRole("button", { name: "Continue" });
    this.back = page.getByRole("button", { name: "Back" });
    this.verdict = page.getByTestId("hardware-verdict");
    this.modelGroup = page.getByRole("group", { name: "Which model should this machine serve?" });
    this.address = page.getByTestId("setup-address");
    this.launchAtLogin = page.getByRole("checkbox", { name: /Start Offpeak when I log in/ });
    this.loginHint = page.getByTestId("login-hint");
    this.startSharing = page.getByRole("button", { name: "Start sharing" });
    this.finishWithoutSharing = page.getByRole("button", { name: "Finish without sharing" });
    this.error = page.getByTestId("setup-error");
  }

  /** Opens the dashboard link; a first run lands on the setup. */
  async open(dashboardUrl: string): Promise<void> {
    await this.page.goto(dashboardUrl);
    await expect(this.root).toBeVisible();
    await expect(this.title).toHaveText("Welcome to Offpeak");
  }

  /** The radio of a model in the model step. */
  model(name: string | RegExp): Locator {
    return this.modelGroup.getByRole("radio", { name });
  }

  /** The radio of a sharing mode in the "when to share" step. */
  mode(label: string): Locator {
    return this.page.getByRole("group", { name: "When may this machine share?" }).getByRole("radio", { name: new RegExp(`^${label}`) });
  }
}
