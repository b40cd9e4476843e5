import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, stat, truncate, utimes } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getLlama, LlamaCompletion, type Llama } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_MODEL_FILE, buildDemoModelWriter, DEMO_MODEL_OPTIONS, ensureDemoModel, generateDemoModel } from "./demo-model";
import { checkGgufFile } from "./gguf-header";

let dir: string;
let llama: Llama;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "offpeak-demo-model-"));
  llama = await getLlama({ gpu: false, build: "never" });
});
afterAll(async () => {
  // The Llama instance is left to process exit: with node-llama-cpp 3.21.1, llama.dispose()
  // never resolves after a failed loadModel once the garbage collector has run.
  await rm(dir, { recursive: true, force: true });
});

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Greedy completion of a prompt, counting the generated tokens. */
async function complete(modelPath: string, prompt: string): Promise<{ text: string; tokens: number }> {
  const model = await llama.loadModel({ modelPath });
  try {
    const context = await model.createContext({ contextSize: 256, threads: 1 });
    try {
      const completion = new LlamaCompletion({ contextSequence: context.getSequence() });
      let tokens = 0;
      const text = await completion.generateCompletion(prompt, {
        temperature: 0,
        maxTokens: 16,
        onToken: (batch) => {
          tokens += batch.length;
        },
      });
      completion.dispose();
      return { text, tokens };
    } finally {
      await context.dispose();
    }
  } finally {
    await model.dispose();
  }
}

describe("generated demo models load and generate with node-llama-cpp", () => {
  for (const [shape, type] of [["tiny", "f32"], ["tiny", "q8_0"], ["stories15M", "q8_0"]] as const) {
    it(`${shape} ${type}`, async () => {
      const path = join(dir, `${shape}-${type}.gguf`);
      const result = await generateDemoModel({ path, shape, type, seed: 7 });
      expect(result.bytes).toBe((await stat(path)).size);
      const summary = await checkGgufFile(path);
      expect(summary.fileTypeName).toBe(type === "q8_0" ? "Q8_0" : "F32");
      expect(summary.vocabSize).toBe(shape === "tiny" ? 512 : 32000);
      expect(summary.embeddingLength).toBe(shape === "tiny" ? 64 : 288);

      const first = await complete(path, "Once upon a time");
      // The demo never emits end-of-text, so it fills the token budget with printable text.
      expect(first.tokens).toBe(16);
      expect(first.text.trim().length).toBeGreaterThan(0);
      const again = await complete(path, "Once upon a time");
      expect(again.text).toBe(first.text);
      await rm(path);
    });
  }

  it("a truncated model file is refused by node-llama-cpp too", async () => {
    const path = join(dir, "cut.gguf");
    await generateDemoModel({ path, shape: "tiny", type: "q8_0", seed: 7 });
    await truncate(path, Math.floor((await stat(path)).size / 2));
    const failure = await llama.loadModel({ modelPath: path }).then(
      () => null,
      (error: unknown) => error as Error,
    );
    expect(failure).toBeInstanceOf(Error);
    console.info(`node-llama-cpp on a truncated file: ${failure?.message}`);
    await rm(path);
  });
});

describe("determinism", () => {
  it("the same seed gives byte-identical files and another seed a different one", async () => {
    const a = await generateDemoModel({ path: join(dir, "a.gguf"), shape: "tiny", type: "q8_0", seed: 42 });
    const b = await generateDemoModel({ path: join(dir, "b.gguf"), shape: "tiny", type: "q8_0", seed: 42 });
    const c = await generateDemoModel({ path: join(dir, "c.gguf"), shape: "tiny", type: "q8_0", seed: 43 });
    expect(b.sha256).toBe(a.sha256);
    expect(c.sha256).not.toBe(a.sha256);
    expect(c.bytes).toBe(a.bytes);
    expect((await readFile(join(dir, "a.gguf"))).equals(await readFile(join(dir, "b.gguf")))).toBe(true);
    const f32 = await generateDemoModel({ path: join(dir, "d.gguf"), shape: "tiny", type: "f32", seed: 42 });
    expect(f32.bytes).toBeGreaterThan(a.bytes * 3);
    for (const name of ["a", "b", "c", "d"]) await rm(join(dir, `${name}.gguf`));
  });

  it("the context length is written where the engine reads it", async () => {
    const path = join(dir, "ctx.gguf");
    await generateDemoModel({ path, shape: "tiny", type: "f32", contextLength: 512 });
    expect((await checkGgufFile(path)).contextLength).toBe(512);
    await rm(path);
  });
});

describe("ensureDemoModel", () => {
  it("writes the stories15M-shaped demo once, keeps a good copy and replaces a damaged one", async () => {
    const demoDir = join(dir, "demo", "nested");
    const path = await ensureDemoModel(demoDir);
    expect(path).toBe(join(demoDir, DEMO_MODEL_FILE));
    const summary = await checkGgufFile(path);
    expect(summary.embeddingLength).toBe(288);
    expect(summary.blockCount).toBe(6);
    expect(summary.vocabSize).toBe(32000);
    expect(summary.fileTypeName).toBe("Q8_0");
    expect(summary.bytes).toBe(buildDemoModelWriter(DEMO_MODEL_OPTIONS).layout().totalBytes);
    const original = sha256(await readFile(path));

    // A good copy is left alone (its mtime does not move).
    const old = new Date(Date.now() - 3_600_000);
    await utimes(path, old, old);
    await ensureDemoModel(demoDir);
    expect(Math.round((await stat(path)).mtimeMs)).toBe(old.getTime());

    // A damaged copy (here cut short) is regenerated into place, with no temporary file left over.
    await truncate(path, 1000);
    await ensureDemoModel(demoDir);
    expect(sha256(await readFile(path))).toBe(original);
    expect(await readdir(demoDir)).toEqual([DEMO_MODEL_FILE]);
  });
});
