import { existsSync } from "node:fs";
import { copyFile, mkdtemp, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateDemoModel } from "./demo-model";
import { checkGgufFile, ModelFileError, type ModelFileProblem } from "./gguf-header";

const STORIES_260K = join(import.meta.dirname, "../../../../shared/models/stories260K.gguf");

let dir: string;
let tinyQ8: string;
let tinyF32: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "offpeak-gguf-header-"));
  tinyQ8 = join(dir, "tiny-q8_0.gguf");
  tinyF32 = join(dir, "tiny-f32.gguf");
  await generateDemoModel({ path: tinyQ8, shape: "tiny", type: "q8_0", seed: 3 });
  await generateDemoModel({ path: tinyF32, shape: "tiny", type: "f32", seed: 3 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Expects checkGgufFile to reject with this problem and a message naming the file. */
async function expectRejected(path: string, problem: ModelFileProblem, message: RegExp): Promise<void> {
  const error = await checkGgufFile(path).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelFileError);
  const failure = error as ModelFileError;
  expect(failure.problem).toBe(problem);
  expect(failure.path).toBe(path);
  expect(failure.message).toContain(path);
  expect(failure.message).toMatch(message);
}

async function copyOf(source: string, name: string): Promise<string> {
  const path = join(dir, name);
  await copyFile(source, path);
  return path;
}

describe("checkGgufFile accepts good models", () => {
  it("reads the demo models' header", async () => {
    const q8 = await checkGgufFile(tinyQ8);
    expect(q8).toMatchObject({
      version: 3,
      architecture: "llama",
      name: "Offpeak demo (random weights)",
      contextLength: 2048,
      embeddingLength: 64,
      blockCount: 2,
      fileType: 7,
      fileTypeName: "Q8_0",
      vocabSize: 512,
      tensorCount: 3 + 2 * 9,
      alignment: 32,
      hasChatTemplate: false,
    });
    expect(q8.dataEnd).toBe(q8.bytes);
    expect(q8.tensorTypes).toEqual({ Q8_0: 2 + 2 * 7, F32: 1 + 2 * 2 });
    expect(q8.metadata["tokenizer.ggml.bos_token_id"]).toBe(1);
    const f32 = await checkGgufFile(tinyF32);
    expect(f32.fileTypeName).toBe("F32");
    expect(f32.parameterCount).toBe(q8.parameterCount);
    expect(f32.bytes).toBeGreaterThan(q8.bytes);
  });
});

describe.skipIf(!existsSync(STORIES_260K))(`checkGgufFile on a real model (needs ${STORIES_260K})`, () => {
  it("accepts stories260K", async () => {
    const summary = await checkGgufFile(STORIES_260K);
    expect(summary).toMatchObject({ architecture: "llama", bytes: 1_185_376, vocabSize: 512, blockCount: 5 });
    expect(summary.dataEnd).toBe(summary.bytes);
  });
});
if (!existsSync(STORIES_260K)) console.warn(`stories260K test skipped: ${STORIES_260K} is absent`);

describe("checkGgufFile rejects broken files, naming them", () => {
  it("a missing file", async () => {
    await expectRejected(join(dir, "nope.gguf"), "missing", /does not exist/);
  });

  it("a text file and an empty file", async () => {
    const text = join(dir, "notes.gguf");
    await writeFile(text, "these are my notes, not a model\n");
    await expectRejected(text, "not-gguf", /is not a GGUF model file \(it starts with "these are my not/);
    const empty = join(dir, "empty.gguf");
    await writeFile(empty, "");
    await expectRejected(empty, "not-gguf", /is not a GGUF model file \(the file is empty\)/);
    const lfs = join(dir, "lfs.gguf");
    await writeFile(lfs, "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n");
    await expectRejected(lfs, "not-gguf", /Git LFS pointer/);
  });

  it("a copy cut inside the tensor data", async () => {
    const path = await copyOf(tinyQ8, "cut-data.gguf");
    const full = (await checkGgufFile(tinyQ8)).bytes;
    await truncate(path, full - 100);
    await expectRejected(path, "truncated", new RegExp(`is truncated: its tensors need ${full} bytes but the file has ${full - 100}`));
  });

  it("a copy cut inside the metadata", async () => {
    const path = await copyOf(tinyQ8, "cut-meta.gguf");
    await truncate(path, 3000); // inside tokenizer.ggml.tokens
    await expectRejected(path, "truncated", /ends inside its header/);
  });

  it("a header with an absurd tensor count, metadata count, string or array length, or dimension count", async () => {
    const original = await readFile(tinyQ8);
    const patched = async (name: string, edit: (b: Buffer) => void): Promise<string> => {
      const copy = Buffer.from(original);
      edit(copy);
      const path = join(dir, name);
      await writeFile(path, copy);
      return path;
    };
    await expectRejected(await patched("tensors.gguf", (b) => b.writeBigUInt64LE(1_000_000_000n, 8)), "corrupt", /claims 1000000000 tensors/);
    await expectRejected(await patched("kvs.gguf", (b) => b.writeBigUInt64LE(2n ** 40n, 16)), "corrupt", /claims 1099511627776 metadata entries/);
    await expectRejected(await patched("key.gguf", (b) => b.writeBigUInt64LE(2n ** 30n, 24)), "corrupt", /metadata key of 1073741824 bytes \(at most 67108864/);
    const tokensAt = original.indexOf("tokenizer.ggml.tokens") + "tokenizer.ggml.tokens".length + 8;
    await expectRejected(await patched("array.gguf", (b) => b.writeBigUInt64LE(2n ** 31n, tokensAt)), "corrupt", /array tokenizer.ggml.tokens claims 2147483648 elements/);
    const dimsAt = original.indexOf("token_embd.weight") + "token_embd.weight".length;
    await expectRejected(await patched("dims.gguf", (b) => b.writeUInt32LE(9, dimsAt)), "corrupt", /has 9 dimensions/);
    await expectRejected(await patched("version.gguf", (b) => b.writeUInt32LE(7, 4)), "unsupported-version", /GGUF version 7/);
  });
});
