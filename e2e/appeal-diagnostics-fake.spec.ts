/**
 * The owner's appeal of a quarantine on the Diagnostics page, in Chromium with the fake node:
 * the form shows only while the node is quarantined, is labelled and works from the keyboard,
 * refuses an empty statement with a sentence, shows "Sending…" and the node's refusal, and the
 * appeal's status — open, rejected with the reason, upheld — follows the pushed state.
 */
import { CLEAR_STANDING } from "../shared/appeal";
import { sampleDiagnostics } from "../tests/fake-electron/fake-control-api";
import { DiagnosticsPage } from "./pages/diagnostics-page";
import { expect, test } from "./support/fixtures";

const QUARANTINED = { ...CLEAR_STANDING, quarantine: { reason: "answered a known-answer check wrongly", since: Date.UTC(2025, 2, 1, 10) }, heldMicroUsd: 1_250_000, forfeitAt: Date.UTC(2025, 2, 31, 10) };

test.beforeEach(async ({ control }) => {
  await control.setSharing(true);
  control.coordinatorView = sampleDiagnostics({ seenSharing: false, quarantine: { reason: QUARANTINED.quarantine.reason, since: "2025-03-01T10:00:00.000Z" } });
});

test("no appeal form while the node is not quarantined", async ({ page, server }) => {
  const diagnostics = new DiagnosticsPage(page);
  await diagnostics.open(server.url);
  await expect(page.getByTestId("node-view")).toBeVisible();
  await expect(page.getByTestId("appeal-card")).toHaveCount(0);
});

test("the owner appeals from the keyboard, and sees the rejection's reason, then the upholding", async ({ page, control, server }) => {
  control.update({ standing: QUARANTINED });
  const diagnostics = new DiagnosticsPage(page);
  await diagnostics.open(server.url);
  const card = page.getByTestId("appeal-card");
  await expect(card.getByRole("heading", { name: "Appeal the quarantine" })).toBeVisible();
  await expect(card.getByTestId("appeal-none")).toBeVisible();
  await expect(card.getByTestId("appeal-forfeit")).toContainText("$1.25 of held earnings go back to the consumers");

  const field = card.getByLabel("Why is the quarantine wrong?");
  const send = card.getByRole("button", { name: "Send appeal" });
  // Empty: refused with a sentence, nothing sent.
  await send.click();
  await expect(card.getByTestId("appeal-error")).toContainText("write why the quarantine is wrong");
  await expect(field).toHaveAttribute("aria-invalid", "true");
  expect(control.appeals).toEqual([]);

  // The node refuses (the coordinator said no): the reason shows and the text stays.
  control.appealRefusal = "The coordinator refused the appeal: This node is not quarantined: there is nothing to appeal.";
  await field.focus();
  await page.keyboard.type("The GPU driver was updated that night; it answers right again.");
  await expect(card.getByTestId("appeal-count")).toContainText("62 of 1000 characters");
  await page.keyboard.press("Tab");
  await expect(send).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(card.getByTestId("appeal-error")).toContainText("nothing to appeal");
  await expect(field).toHaveValue("The GPU driver was updated that night; it answers right again.");

  // Sending: the button says so until the node answers.
  let open = () => {};
  control.appealGate = new Promise<void>((resolve) => (open = resolve));
  await send.click();
  await expect(card.getByRole("button", { name: "Sending…" })).toBeDisabled();
  open();
  await expect(card.getByTestId("appeal-status")).toContainText("waiting for the operator's decision");
  await expect(card.getByTestId("appeal-form")).toHaveCount(0);
  expect(control.appeals).toEqual(["The GPU driver was updated that night; it answers right again."]);
  await page.screenshot({ path: test.info().outputPath("diagnostics-appeal-open.png"), fullPage: true });

  // The operator rejects it: the reason shows, pushed, and the owner may appeal again.
  const appeal = control.state.standing.appeal;
  if (!appeal) throw new Error("the appeal is not in the state");
  control.update({ standing: { ...control.state.standing, appeal: { ...appeal, status: "rejected", decidedAt: Date.UTC(2025, 2, 3, 9), reason: "the same wrong answer three times" } } });
  await expect(card.getByTestId("appeal-status")).toContainText("Appeal rejected");
  await expect(card.getByTestId("appeal-status")).toContainText("the same wrong answer three times");
  await expect(card.getByLabel("Why is the quarantine wrong?")).toBeVisible();
  await page.screenshot({ path: test.info().outputPath("diagnostics-appeal-rejected.png"), fullPage: true });

  // Upheld: the quarantine is lifted and the form goes.
  control.update({ standing: { ...CLEAR_STANDING, appeal: { ...appeal, status: "upheld", decidedAt: Date.UTC(2025, 2, 4, 9) } } });
  await expect(card.getByTestId("appeal-status")).toContainText("Appeal upheld");
  await expect(card.getByTestId("appeal-form")).toHaveCount(0);
});

test("says so when the node cannot read its standing", async ({ page, control, server }) => {
  control.update({ standing: { ...QUARANTINED, sync: "error", error: "Could not read this node's standing from the coordinator: the coordinator at http://127.0.0.1:4100 did not answer" } });
  const diagnostics = new DiagnosticsPage(page);
  await diagnostics.open(server.url);
  await expect(page.getByTestId("appeal-sync-error")).toContainText("did not answer");
  await expect(page.getByTestId("appeal-form")).toBeVisible();
});
