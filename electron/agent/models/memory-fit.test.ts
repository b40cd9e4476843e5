import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateDemoModel } from "./demo-model";
import { availableMemoryBytes } from "./machine-profile";
import { checkFits, estimateModelMemory, formatBytes, InsufficientMemoryError, loadGuard, type FreeMemory, type MemoryEstimate } from "./memory-fit";

const MIB = 1024 ** 2;
const GIB = 1024 ** 3;

let dir: string;
let tinyPath: string;
let storiesPath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "offpeak-memory-fit-"));
  tinyPath = join(dir, "tiny.gguf");
  storiesPath = join(dir, "stories15M.gguf");
  await generateDemoModel({ path: tinyPath, shape: "tiny", type: "f32" });
  await generateDemoModel({ path: storiesPath, shape: "stories15M", type: "q8_0" });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("estimateModelMemory", () => {
  it("puts a stories15M-shaped model's weights within 20 % of its file size, with a plausible KV cache", async () => {
    const fileBytes = (await stat(storiesPath)).size;
    const estimate = await estimateModelMemory(storiesPath, { contextSize: 2048, gpu: false });
    expect(estimate.weightsBytes).toBeGreaterThan(fileBytes * 0.8);
    expect(estimate.weightsBytes).toBeLessThan(fileBytes * 1.2);
    // f16 keys and values: 2 × 6 layers × 288 wide × 2 bytes per token.
    const kvFloor = 2 * 6 * 288 * 2 * 2048;
    expect(estimate.kvCacheBytes).toBeGreaterThanOrEqual(kvFloor);
    expect(estimate.kvCacheBytes).toBeLessThan(kvFloor + 512 * MIB);
    expect(estimate.totalBytes).toBe(estimate.weightsBytes + estimate.kvCacheBytes);
    expect(estimate.gpuBytes).toBe(0);
  });

  it("grows the context part with the context size and the number of sequences, and clips to the training context", async () => {
    const small = await estimateModelMemory(storiesPath, { contextSize: 512, gpu: false });
    const large = await estimateModelMemory(storiesPath, { contextSize: 2048, gpu: false });
    const parallel = await estimateModelMemory(storiesPath, { contextSize: 2048, sequences: 4, gpu: false });
    expect(large.kvCacheBytes).toBeGreaterThan(small.kvCacheBytes);
    expect(parallel.kvCacheBytes).toBeGreaterThan(large.kvCacheBytes);
    expect(parallel.weightsBytes).toBe(large.weightsBytes);
    const clipped = await estimateModelMemory(storiesPath, { contextSize: 1_000_000, gpu: false });
    expect(clipped.contextSize).toBe(2048);
  });
});

describe("loadGuard", () => {
  it("lets a generated tiny model load in this machine's free memory", async () => {
    const free: FreeMemory = { ramBytes: await availableMemoryBytes(), vramBytes: null, unifiedMemory: false };
    const { fit } = await loadGuard({ modelPath: tinyPath, contextSize: 256, gpu: false, free });
    expect(fit).toMatchObject({ fits: true, placement: "ram" });
  });

  it("refuses the same model with 1 MB free, saying what it needs and what is free", async () => {
    const free: FreeMemory = { ramBytes: MIB, vramBytes: null, unifiedMemory: false };
    const guard = loadGuard({ modelPath: tinyPath, contextSize: 256, gpu: false, free });
    await expect(guard).rejects.toBeInstanceOf(InsufficientMemoryError);
    await expect(guard).rejects.toThrow(/^Needs \d+ MB with a 256-token context; 1 MB free\. Choose a smaller model or context\.$/);
  });
});

describe("checkFits", () => {
  const sevenB: MemoryEstimate = { weightsBytes: 4.4 * GIB, kvCacheBytes: 1.8 * GIB, totalBytes: 6.2 * GIB, gpuBytes: 6.2 * GIB, contextSize: 2048, sequences: 1 };
  const onCpu: MemoryEstimate = { ...sevenB, gpuBytes: 0 };
  const cases: Array<{ name: string; estimate: MemoryEstimate; free: FreeMemory; fits: boolean; placement: string | null; reason: string }> = [
    {
      name: "a Mac with room in unified memory",
      estimate: sevenB,
      free: { ramBytes: 20 * GIB, vramBytes: 21 * GIB, unifiedMemory: true },
      fits: true,
      placement: "unified",
      reason: "Fits: needs 6.2 GB with a 2048-token context; 20 GB of unified memory free.",
    },
    {
      name: "a Mac where only the safety margin is missing",
      estimate: sevenB,
      free: { ramBytes: 7 * GIB, vramBytes: 10 * GIB, unifiedMemory: true },
      fits: false,
      placement: null,
      reason: "Needs 6.2 GB with a 2048-token context plus a 2.2 GB safety margin; 7.0 GB of unified memory free. Choose a smaller model or context.",
    },
    {
      name: "a Mac whose GPU working-set limit is the smaller pool",
      estimate: sevenB,
      free: { ramBytes: 20 * GIB, vramBytes: 3.1 * GIB, unifiedMemory: true },
      fits: false,
      placement: null,
      reason: "Needs 6.2 GB with a 2048-token context; 3.1 GB of unified memory free. Choose a smaller model or context.",
    },
    {
      name: "a PC with enough VRAM",
      estimate: sevenB,
      free: { ramBytes: 8 * GIB, vramBytes: 11 * GIB, unifiedMemory: false },
      fits: true,
      placement: "vram",
      reason: "Fits: needs 6.2 GB with a 2048-token context; 11 GB of VRAM free.",
    },
    {
      name: "a PC whose VRAM holds only part of the model",
      estimate: sevenB,
      free: { ramBytes: 16 * GIB, vramBytes: 4 * GIB, unifiedMemory: false },
      fits: true,
      placement: "partial-offload",
      reason: "Fits partly in VRAM: needs 6.2 GB with a 2048-token context; 4.0 GB of VRAM and 16 GB of memory free, so some layers run on the CPU.",
    },
    {
      name: "a PC with neither",
      estimate: sevenB,
      free: { ramBytes: 2 * GIB, vramBytes: 2 * GIB, unifiedMemory: false },
      fits: false,
      placement: null,
      reason: "Needs 6.2 GB with a 2048-token context; 4.0 GB of VRAM and memory free. Choose a smaller model or context.",
    },
    {
      name: "the CPU with room",
      estimate: onCpu,
      free: { ramBytes: 12 * GIB, vramBytes: null, unifiedMemory: false },
      fits: true,
      placement: "ram",
      reason: "Fits: needs 6.2 GB with a 2048-token context; 12 GB of memory free.",
    },
    {
      name: "the CPU without room",
      estimate: onCpu,
      free: { ramBytes: 3.1 * GIB, vramBytes: null, unifiedMemory: false },
      fits: false,
      placement: null,
      reason: "Needs 6.2 GB with a 2048-token context; 3.1 GB free. Choose a smaller model or context.",
    },
  ];
  it.each(cases)("$name", ({ estimate, free, fits, placement, reason }) => {
    expect(checkFits(estimate, free)).toEqual({ fits, placement, reason });
  });

  it("mentions parallel sequences in the need", () => {
    const result = checkFits({ ...onCpu, sequences: 4 }, { ramBytes: GIB, vramBytes: null, unifiedMemory: false });
    expect(result.reason).toContain("with a 2048-token context and 4 sequences");
  });
});

describe("formatBytes", () => {
  it.each([
    [32 * GIB, "32 GB"],
    [6.2 * GIB, "6.2 GB"],
    [512 * MIB, "512 MB"],
    [12 * 1024, "12 KB"],
  ])("%d bytes → %s", (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});
