import { copyFile, mkdir, mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_MODEL_FILE, DEMO_MODEL_ID, DEMO_MODEL_LABEL, generateDemoModel } from "./demo-model";
import { ModelFileError } from "./gguf-header";
import { locateModel } from "./model-locator";

let dir: string;
let source: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "offpeak-locator-"));
  source = join(dir, "source.gguf");
  await generateDemoModel({ path: source, shape: "tiny", type: "q8_0", seed: 11 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Places a file in `folder` with a given age in minutes. */
async function place(folder: string, name: string, ageMinutes: number, content?: string): Promise<string> {
  const path = join(folder, name);
  if (content === undefined) await copyFile(source, path);
  else await writeFile(path, content);
  const when = new Date(Date.now() - ageMinutes * 60_000);
  await utimes(path, when, when);
  return path;
}

describe("locateModel", () => {
  it("uses the model named on the command line, even when the folder has newer ones", async () => {
    const modelsDir = join(dir, "models-explicit");
    await mkdir(modelsDir);
    const named = await place(dir, "My-Model.Q8_0.gguf", 100);
    await place(modelsDir, "newer.gguf", 1);
    const located = await locateModel({ modelPath: named, modelsDir, demoDir: join(dir, "demo-unused") });
    expect(located).toMatchObject({ path: named, id: "My-Model.Q8_0", label: "Offpeak demo (random weights)", demo: false });
  });

  it("refuses a named model file that is broken, naming it", async () => {
    const broken = await place(dir, "broken.gguf", 0, "not a model");
    const attempt = locateModel({ modelPath: broken, modelsDir: dir, demoDir: join(dir, "demo-unused") });
    await expect(attempt).rejects.toBeInstanceOf(ModelFileError);
    await expect(attempt).rejects.toThrow(broken);
    await expect(locateModel({ modelPath: join(dir, "missing.gguf"), modelsDir: dir, demoDir: dir })).rejects.toThrow(/missing\.gguf does not exist/);
  });

  it("otherwise takes the newest GGUF in the models folder, ignoring partial downloads and broken files", async () => {
    const modelsDir = join(dir, "models-newest");
    await mkdir(modelsDir);
    await place(modelsDir, "old.gguf", 60);
    const newest = await place(modelsDir, "newest.gguf", 10);
    await place(modelsDir, "downloading.gguf.part", 1);
    await place(modelsDir, "readme.txt", 1, "hello");
    const broken = await place(modelsDir, "half.gguf", 2, "GGUF");
    await mkdir(join(modelsDir, "sub.gguf"));
    await mkdir(join(modelsDir, "nested"));
    await place(join(modelsDir, "nested"), "deeper.gguf", 0);
    const located = await locateModel({ modelsDir, demoDir: join(dir, "demo-unused") });
    expect(located).toMatchObject({ path: newest, id: "newest", demo: false });
    expect(located.skipped.map((e) => e.path)).toEqual([broken]);
  });

  it("falls back to the generated demo model when there is no model", async () => {
    const demoDir = join(dir, "demo");
    const located = await locateModel({ modelsDir: join(dir, "no-such-folder"), demoDir });
    expect(located).toEqual({ path: join(demoDir, DEMO_MODEL_FILE), id: DEMO_MODEL_ID, label: DEMO_MODEL_LABEL, demo: true, skipped: [] });
    // The demo file in a shared folder is not mistaken for a downloaded model.
    const again = await locateModel({ modelsDir: demoDir, demoDir });
    expect(again.demo).toBe(true);
  });
});
