import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../../shared/logger";
import { DEMO_MODEL_FILE, DEMO_MODEL_ID, generateDemoModel } from "./demo-model";
import { startModelTestServer, type ModelTestServer } from "./download-test-server";
import { ModelLibrary, type ModelLibraryOptions } from "./model-library";
import type { CatalogEntry } from "./model-manager";

let model: Buffer;
let modelSha: string;
let modelPath: string;
let scratch: string;
let server: ModelTestServer;
let root: string;
let modelsDir: string;
let demoDir: string;

const REPO_FILE = "/acme/tiny-GGUF/resolve/main/tiny-q.gguf";

function catalogEntry(overrides: Partial<CatalogEntry> = {}): CatalogEntry {
  return {
    id: "tiny-chat",
    name: "Tiny Chat",
    uri: "hf:acme/tiny-GGUF/tiny-q.gguf",
    fileName: "tiny-chat.gguf",
    sizeBytes: model.length,
    quantization: "F32",
    parameters: "0.3M",
    contextLength: 2048,
    minMemoryBytes: 50_000_000,
    licence: "MIT",
    sha256: modelSha,
    ...overrides,
  };
}

function library(overrides: Partial<ModelLibraryOptions> = {}): ModelLibrary {
  return new ModelLibrary({
    modelsDir,
    demoDir,
    catalog: [catalogEntry(), catalogEntry({ id: "huge", name: "Huge", fileName: "huge.gguf", sizeBytes: 500e9, sha256: null })],
    judge: (entry) => (entry.id === "huge" ? { verdict: "does-not-fit", reason: "Needs 500 GB" } : { verdict: "fits", reason: "Fits easily" }),
    logger: silentLogger,
    hfBaseUrl: server.baseUrl,
    ...overrides,
  });
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "offpeak-lib-model-"));
  const generated = await generateDemoModel({ path: join(scratch, "tiny.gguf"), shape: "tiny", type: "f32" });
  model = await readFile(generated.path);
  modelSha = generated.sha256;
  modelPath = generated.path;
  server = await startModelTestServer();
});

afterAll(async () => {
  await server.close();
  await rm(scratch, { recursive: true, force: true });
});

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "offpeak-lib-"));
  modelsDir = join(root, "models");
  demoDir = join(root, "demo");
  await mkdir(modelsDir);
  await mkdir(demoDir);
  server.files.clear();
  server.requests.length = 0;
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("ModelLibrary", () => {
  it("lists installed models with their header names, the demo model and the catalog with verdicts", async () => {
    await copyFile(modelPath, join(modelsDir, "my-model.gguf"));
    await copyFile(modelPath, join(demoDir, DEMO_MODEL_FILE));
    await writeFile(join(modelsDir, "half.gguf.part"), "partial");
    const view = await library().list(join(modelsDir, "my-model.gguf"));

    expect(view.installed).toEqual([
      { id: "my-model", name: "Offpeak demo (random weights)", path: join(modelsDir, "my-model.gguf"), bytes: model.length, active: true, demo: false },
      expect.objectContaining({ id: DEMO_MODEL_ID, demo: true, active: false }),
    ]);
    expect(view.catalog.map((c) => [c.id, c.verdict, c.verdictReason, c.installed])).toEqual([
      ["tiny-chat", "fits", "Fits easily", false],
      ["huge", "does-not-fit", "Needs 500 GB", false],
    ]);
  });

  it("downloads a catalog model in the background with throttled progress, then lists it as installed", async () => {
    server.files.set(REPO_FILE, { body: model, chunkBytes: 16 * 1024, chunkDelayMs: 25 });
    const lib = library();
    let changes = 0;
    lib.onChange(() => changes++);
    const started = Date.now();
    const { downloadId } = await lib.pull("tiny-chat");
    expect(lib.downloads()).toEqual([expect.objectContaining({ id: downloadId, name: "Tiny Chat", state: "downloading" })]);

    const final = await lib.settled(downloadId);
    const seconds = (Date.now() - started) / 1000;
    expect(final).toMatchObject({ state: "done", receivedBytes: model.length, totalBytes: model.length, error: null });
    expect(changes).toBeGreaterThanOrEqual(3);
    expect(changes).toBeLessThanOrEqual(Math.ceil(seconds * 4) + 6);
    expect(lib.downloads()[0]?.state).toBe("done");
    const view = await lib.list(null);
    expect(view.catalog.find((c) => c.id === "tiny-chat")?.installed).toBe(true);
    expect(await lib.find("tiny-chat")).toMatchObject({ id: "tiny-chat", path: join(modelsDir, "tiny-chat.gguf") });
    await expect(lib.pull("tiny-chat")).rejects.toThrow(/already installed/);
  });

  it("refuses a second download of the same file while the first runs, and cancels keeping the partial file", async () => {
    server.files.set(REPO_FILE, { body: model, chunkBytes: 16 * 1024, chunkDelayMs: 40 });
    const lib = library();
    const { downloadId } = await lib.pull("hf:acme/tiny-GGUF/tiny-q.gguf");
    await expect(lib.pull(`${server.baseUrl}/other/place/tiny-q.gguf`)).rejects.toThrow(/tiny-q\.gguf is already downloading/);
    for (let i = 0; i < 100 && (lib.downloads()[0]?.receivedBytes ?? 0) < 30_000; i++) await new Promise((r) => setTimeout(r, 20));
    expect(lib.cancel(downloadId)).toBe(true);
    const final = await lib.settled(downloadId);
    expect(final?.state).toBe("cancelled");
    expect(final?.error).toMatch(/cancelled/);
    expect(lib.cancel(downloadId)).toBe(false);
    expect((await stat(join(modelsDir, "tiny-q.gguf.part"))).size).toBeGreaterThan(0);
    expect(existsSync(join(modelsDir, "tiny-q.gguf"))).toBe(false);
  });

  it("shows a failed download with its reason and forgets it after a while", async () => {
    let clock = 1_000_000;
    const lib = library({ now: () => clock, keepEndedMs: 60_000 });
    const { downloadId } = await lib.pull("hf:acme/missing/nothing.gguf");
    const final = await lib.settled(downloadId);
    expect(final?.state).toBe("failed");
    expect(final?.error).toMatch(/answered 404/);
    expect(lib.downloads()).toHaveLength(1);
    clock += 61_000;
    expect(lib.downloads()).toHaveLength(0);
  });

  it("rejects at once a bad reference or a catalog model that does not fit on the disk", async () => {
    const lib = library({ freeBytes: async () => 2e9 });
    await expect(lib.pull("not-a-model")).rejects.toThrow(/neither a catalog model nor a URL/);
    await expect(lib.pull("huge")).rejects.toThrow(/^Not enough disk space: needs 500\.1 GB, 2\.0 GB free on /);
    expect(lib.downloads()).toHaveLength(0);
    expect(server.requests).toHaveLength(0);
  });

  it("removes a model and its partial file, but not the active model, the demo model or a path", async () => {
    await copyFile(modelPath, join(modelsDir, "a.gguf"));
    await copyFile(modelPath, join(modelsDir, "b.gguf"));
    await writeFile(join(modelsDir, "b.gguf.part"), "x");
    await copyFile(modelPath, join(demoDir, DEMO_MODEL_FILE));
    const lib = library({ isActive: (path) => path === join(modelsDir, "a.gguf") });
    let changes = 0;
    lib.onChange(() => changes++);

    await expect(lib.remove("a")).rejects.toThrow(/serves now/);
    await expect(lib.remove("../models/b")).rejects.toThrow(/not a model id/);
    await expect(lib.remove(DEMO_MODEL_ID)).rejects.toThrow(/demo model/);
    await expect(lib.remove("nope")).rejects.toThrow(/No installed model "nope"/);
    await lib.remove("b");
    expect(existsSync(join(modelsDir, "b.gguf"))).toBe(false);
    expect(existsSync(join(modelsDir, "b.gguf.part"))).toBe(false);
    expect(existsSync(join(modelsDir, "a.gguf"))).toBe(true);
    expect(changes).toBe(1);
    expect((await lib.list(null)).installed.map((m) => m.id)).toEqual(["a", DEMO_MODEL_ID]);
  });
});
