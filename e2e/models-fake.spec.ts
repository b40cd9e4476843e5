/**
 * The Models page in Chromium, served by the real control server in front of an in-memory agent:
 * verdicts, a download whose progress the test pushes, Delete with its confirmation, Use, the
 * address field, and the empty and error states.
 */
import { ModelsPage } from "./pages/models-page";
import { expect, test } from "./support/fixtures";

const MB = 1024 ** 2;

test.beforeEach(async ({ control }) => {
  control.setModels({
    ...control.modelsView,
    installed: [
      ...control.modelsView.installed,
      { id: "tinyllama-q4", name: "TinyLlama 1.1B Chat", path: "/home/owner/.offpeak/models/tinyllama-q4.gguf", bytes: 669 * MB, active: false, demo: false },
    ],
  });
});

test("shows the installed models and the catalog with a verdict and reason for each", async ({ page, server }) => {
  const models = new ModelsPage(page);
  await models.open(server.url);
  await expect(page).toHaveURL(/#\/models$/);
  await expect(models.shell.link("Models")).toHaveAttribute("aria-current", "page");

  const demo = models.installedModel("Offpeak demo (tiny)");
  await expect(demo).toContainText("in use");
  await expect(demo.getByRole("button", { name: "Delete Offpeak demo (tiny)" })).toBeDisabled();
  const spare = models.installedModel("TinyLlama 1.1B Chat");
  await expect(spare).toContainText("669 MB");
  await expect(spare.getByRole("button", { name: "Delete TinyLlama 1.1B Chat" })).toBeEnabled();

  await expect(models.catalog.getByTestId("verdict")).toHaveText(["Fits", "Fits slowly on CPU", "Does not fit"]);
  await expect(models.catalogModel("Llama 3.1 70B Instruct").getByTestId("verdict-reason")).toHaveText(
    "Does not fit: needs 48 GB, this machine has 8 GB",
  );
  await expect(models.catalogModel("Qwen2.5 0.5B Instruct").getByRole("button", { name: "Download Qwen2.5 0.5B Instruct" })).toBeVisible();

  // The route survives a reload: the token stays in the tab, the page stays on Models.
  await page.reload();
  await expect(models.heading).toBeVisible();
  await expect(models.catalog).toHaveCount(3);
  await page.screenshot({ path: test.info().outputPath("models-light.png"), fullPage: true });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: test.info().outputPath("models-dark.png"), fullPage: true });
});

test("Download calls pullModel, the progress bar follows the pushed progress and ends in done", async ({ page, control, server }) => {
  const models = new ModelsPage(page);
  await models.open(server.url);
  await models.catalogModel("Qwen2.5 0.5B Instruct").getByRole("button", { name: "Download Qwen2.5 0.5B Instruct" }).click();
  await expect.poll(() => control.pullCalls).toEqual(["qwen2.5-0.5b-instruct-q4_k_m"]);

  const bar = models.progressBar("Qwen2.5 0.5B Instruct");
  await expect(bar).toHaveAttribute("aria-valuenow", "0");
  await expect(models.shell.link("Models")).toContainText("1");
  const id = control.state.downloads[0]?.id ?? "";

  control.progressDownload(id, 100 * MB, 10 * MB);
  await expect(bar).toHaveAttribute("aria-valuenow", "25");
  const row = models.download("Qwen2.5 0.5B Instruct");
  await expect(row.getByTestId("download-progress")).toHaveText("25% · 100 MB of 398 MB · 10 MB/s · 30 s left");

  control.progressDownload(id, 300 * MB, 10 * MB);
  await expect(bar).toHaveAttribute("aria-valuenow", "75");
  await page.screenshot({ path: test.info().outputPath("models-downloading.png"), fullPage: true });

  control.finishDownload(id);
  await expect(row.getByTestId("download-state")).toHaveText("Done");
  await expect(bar).toHaveAttribute("aria-valuenow", "100");
  await expect(row.getByRole("button", { name: /Cancel/ })).toHaveCount(0);
  // The finished model appears among the installed ones without a reload.
  await expect(models.installedModel("Qwen2.5 0.5B Instruct")).toBeVisible();
  await expect(models.catalogModel("Qwen2.5 0.5B Instruct")).toContainText("Installed");
  await page.screenshot({ path: test.info().outputPath("models-downloaded.png"), fullPage: true });
});

test("Cancel calls cancelDownload, and a failed download shows its error", async ({ page, control, server }) => {
  const models = new ModelsPage(page);
  await models.open(server.url);
  await control.pullModel("llama-3.2-3b-instruct-q4_k_m");
  await control.pullModel("hf:someone/models/odd-model.gguf");
  const [first, second] = control.state.downloads;
  control.progressDownload(first?.id ?? "", 512 * MB, 20 * MB);

  await models.download("Llama 3.2 3B Instruct").getByRole("button", { name: "Cancel download of Llama 3.2 3B Instruct" }).click();
  await expect.poll(() => control.cancelCalls).toEqual([first?.id]);
  await expect(models.download("Llama 3.2 3B Instruct").getByTestId("download-state")).toHaveText("Cancelled");

  // Unknown size: a bar without a value.
  await expect(models.progressBar("odd-model.gguf")).not.toHaveAttribute("aria-valuenow", /.*/);
  control.failDownload(second?.id ?? "", "The server answered 404: no such file");
  const failed = models.download("odd-model.gguf");
  await expect(failed.getByTestId("download-state")).toHaveText("Failed");
  await expect(failed.getByTestId("download-error")).toHaveText("The server answered 404: no such file");
  await page.screenshot({ path: test.info().outputPath("models-failed.png"), fullPage: true });
});

test("Delete asks for confirmation first and then calls removeModel", async ({ page, control, server }) => {
  const models = new ModelsPage(page);
  await models.open(server.url);
  const remove = models.installedModel("TinyLlama 1.1B Chat").getByRole("button", { name: "Delete TinyLlama 1.1B Chat" });

  await remove.click();
  await expect(models.dialog).toBeVisible();
  await expect(models.dialog).toContainText("Delete TinyLlama 1.1B Chat?");
  await page.screenshot({ path: test.info().outputPath("models-delete-confirm.png") });
  await models.dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(models.dialog).toHaveCount(0);
  expect(control.removeCalls).toEqual([]);

  // Escape also says no.
  await remove.click();
  await expect(models.dialog).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(models.dialog).toHaveCount(0);
  expect(control.removeCalls).toEqual([]);

  await remove.click();
  await models.dialog.getByRole("button", { name: "Delete" }).click();
  await expect.poll(() => control.removeCalls).toEqual(["tinyllama-q4"]);
  await expect(models.installedModel("TinyLlama 1.1B Chat")).toHaveCount(0);
  await expect(page.getByRole("status").filter({ hasText: "Deleted TinyLlama 1.1B Chat." })).toBeVisible();
});

test("Use switches the model the node serves", async ({ page, control, server }) => {
  const models = new ModelsPage(page);
  await models.open(server.url);
  await models.installedModel("TinyLlama 1.1B Chat").getByRole("button", { name: "Use TinyLlama 1.1B Chat" }).click();
  await expect.poll(() => control.useCalls).toEqual(["tinyllama-q4"]);
  await expect(models.installedModel("TinyLlama 1.1B Chat")).toContainText("in use");
  await expect(models.installedModel("Offpeak demo (tiny)")).not.toContainText("in use");
  await models.shell.goTo("Dashboard");
  await expect(page.getByTestId("model")).toHaveText("TinyLlama 1.1B Chat");
});

test("the address field starts a download of an hf: URI and refuses anything else", async ({ page, control, server }) => {
  const models = new ModelsPage(page);
  await models.open(server.url);
  await models.addressField.fill("/etc/passwd");
  await models.addressDownload.click();
  await expect(page.getByRole("alert").filter({ hasText: "Enter an hf: URI" })).toBeVisible();
  expect(control.pullCalls).toEqual([]);

  await models.addressField.fill("hf:bartowski/SmolLM2-135M-Instruct-GGUF/SmolLM2-135M-Instruct-Q4_K_M.gguf");
  await models.addressField.press("Enter");
  await expect.poll(() => control.pullCalls).toEqual(["hf:bartowski/SmolLM2-135M-Instruct-GGUF/SmolLM2-135M-Instruct-Q4_K_M.gguf"]);
  await expect(models.download("SmolLM2-135M-Instruct-Q4_K_M.gguf")).toBeVisible();
  await expect(models.addressField).toHaveValue("");
});

test("shows the agent's refusal, the empty lists and a listing error", async ({ page, control, server }) => {
  const models = new ModelsPage(page);
  control.setModels({ installed: [], catalog: [] });
  await models.open(server.url);
  await expect(page.getByTestId("installed-empty")).toHaveText("No models on this machine yet. Download one from the catalog below.");
  await expect(page.getByText("The catalog is empty.")).toBeVisible();
  await models.addressField.fill("https://example.com/model.gguf");
  control.pullModel = async () => ({ ok: false, error: "Not enough disk space: needs 4 GB, 1 GB free" });
  await models.addressDownload.click();
  await expect(models.error).toHaveText("Not enough disk space: needs 4 GB, 1 GB free");
  await page.screenshot({ path: test.info().outputPath("models-empty.png"), fullPage: true });

  control.listModels = async () => ({ ok: false, error: "The models folder cannot be read" });
  await page.reload();
  await expect(page.getByTestId("error")).toContainText("Could not list the models");
  await expect(page.getByTestId("error")).toContainText("The models folder cannot be read");
});
