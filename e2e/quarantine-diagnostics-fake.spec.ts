/**
 * A quarantined node's Diagnostics page, in Chromium: the coordinator's reason for sending the
 * node no jobs stands out above its notes.
 */
import { sampleDiagnostics } from "../tests/fake-electron/fake-control-api";
import { DiagnosticsPage } from "./pages/diagnostics-page";
import { expect, test } from "./support/fixtures";

test.beforeEach(async ({ control }) => {
  await control.setSharing(true);
});

test("Diagnostics shows the quarantine and its reason, and nothing of it once lifted", async ({ page, control, server }) => {
  const reason = "answered a known-answer check with text other than the known answer";
  control.coordinatorView = sampleDiagnostics({
    seenSharing: false,
    quarantine: { reason, since: "2025-03-01T10:00:00.000Z" },
    notes: ["2 other nodes serve offpeak-demo-tiny."],
  });
  const diagnostics = new DiagnosticsPage(page);
  await diagnostics.open(server.url);
  const alert = page.getByTestId("diag-quarantine");
  await expect(alert).toBeVisible();
  await expect(alert).toContainText(`Quarantined since`);
  await expect(alert).toContainText(reason);
  await expect(alert).toContainText("holds its pending earnings");
  await expect(diagnostics.fact("diag-seen-sharing")).toHaveText("No");
  await page.screenshot({ path: test.info().outputPath("diagnostics-quarantined.png"), fullPage: true });

  control.coordinatorView = sampleDiagnostics();
  await diagnostics.refresh.click();
  await expect(alert).toHaveCount(0);
});
