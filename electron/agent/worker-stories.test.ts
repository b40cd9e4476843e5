/**
 * The inference worker against a real trained model (stories260K from ../shared/models): its
 * output must match node-llama-cpp run directly in this process with the same settings.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { getLlama, LlamaCompletion, LlamaLogLevel, type Llama, type LlamaContext, type LlamaModel } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobInput, Sampling } from "../../shared/protocol";
import { LlamaGenerator } from "../worker/generator";
import type { InferenceResult } from "./inference";
import { NodeWorkerSpawner } from "./worker-spawner";
import { WorkerSupervisor } from "./worker-supervisor";

const MODEL = fileURLToPath(new URL("../../../shared/models/stories260K.gguf", import.meta.url));
const present = existsSync(MODEL);
if (!present) console.warn(`SKIPPED: worker tests with a trained model need ${MODEL} (absent in a fresh clone)`);

const sampling = (overrides: Partial<Sampling> = {}): Sampling => ({ maxTokens: 40, temperature: 0, topP: 1, stop: [], ...overrides });
const completion = (prompt: string): JobInput => ({ kind: "completion", prompt });

describe.skipIf(!present)("inference worker with stories260K (needs ../shared/models/stories260K.gguf)", () => {
  let engine: WorkerSupervisor;
  let llama: Llama;
  let model: LlamaModel;
  let context: LlamaContext;
  let jobs = 0;

  const run = (input: JobInput, s: Sampling, onTokens: (text: string, count: number) => void = () => {}): Promise<InferenceResult> =>
    engine.generate({ jobId: `job-${++jobs}`, input, sampling: s }, onTokens, new AbortController().signal);

  beforeAll(async () => {
    engine = new WorkerSupervisor({ spawner: new NodeWorkerSpawner(), modelPath: MODEL, modelId: "stories260K", modelLabel: "stories260K", demo: false, threads: 1 });
    const started = engine.start();
    llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
    model = await llama.loadModel({ modelPath: MODEL });
    context = await model.createContext({ contextSize: 2048, threads: 1, sequences: 1 });
    await started;
  });

  afterAll(async () => {
    await engine?.stop();
    await context?.dispose();
    await model?.dispose();
    await llama?.dispose();
  });

  /** node-llama-cpp's own completion in this process, from a fresh sequence. */
  async function reference(prompt: string, options: { maxTokens: number; stop?: string[] }): Promise<string> {
    const sequence = context.getSequence();
    const completer = new LlamaCompletion({ contextSequence: sequence });
    try {
      return await completer.generateCompletion(prompt, {
        maxTokens: options.maxTokens,
        temperature: 0,
        repeatPenalty: false,
        customStopTriggers: options.stop,
      });
    } finally {
      completer.dispose();
      sequence.dispose();
    }
  }

  it("greedy completion through the worker equals node-llama-cpp in-process", async () => {
    const expected = await reference("Once upon a time", { maxTokens: 40 });
    const result = await run(completion("Once upon a time"), sampling({ maxTokens: 40 }));
    expect(expected.length).toBeGreaterThan(20);
    expect(result.text).toBe(expected);
    expect(result.finishReason).toBe("length");
    expect(result.completionTokens).toBe(40);
    // Prompt tokens are the evaluated tokens, beginning-of-sequence included.
    expect(result.promptTokens).toBe(model.tokenize("Once upon a time", false, "trimLeadingSpace").length + 1);
  });

  it("the in-process generator (as benchmarks use it) gives the worker's output", async () => {
    const generator = await LlamaGenerator.load({ modelPath: MODEL, contextSize: 2048, threads: 1, gpu: false });
    try {
      for (const input of [completion("The cat sat"), { kind: "chat", messages: [{ role: "user", content: "Tell me about Lily." }] } satisfies JobInput]) {
        const direct = await generator.generate({ input, sampling: sampling({ maxTokens: 30 }) });
        const viaWorker = await run(input, sampling({ maxTokens: 30 }));
        expect(viaWorker).toEqual(direct);
      }
    } finally {
      await generator.dispose();
    }
  });

  it("streams the first token alone, then batches that add up to the text", async () => {
    const batches: { text: string; count: number }[] = [];
    const result = await run(completion("Once upon a time"), sampling({ maxTokens: 200 }), (text, count) => batches.push({ text, count }));
    expect(batches[0]?.count).toBe(1);
    expect(batches.map((b) => b.text).join("")).toBe(result.text);
    expect(batches.reduce((sum, b) => sum + b.count, 0)).toBe(result.completionTokens);
  });

  it("stops at a stop sequence and leaves it out of the output", async () => {
    const full = await reference("Once upon a time", { maxTokens: 40 });
    const cut = full.indexOf("Lily");
    expect(cut).toBeGreaterThan(0);
    const streamed: string[] = [];
    const result = await run(completion("Once upon a time"), sampling({ maxTokens: 40, stop: ["Lily", "zzz"] }), (text) => streamed.push(text));
    expect(result.finishReason).toBe("stop");
    expect(result.text).toBe(full.slice(0, cut));
    expect(streamed.join("")).toBe(result.text);
    expect(result.completionTokens).toBeLessThan(40);
  });

  it("ends with finishReason length after exactly maxTokens", async () => {
    const result = await run(completion("Once upon a time"), sampling({ maxTokens: 7 }));
    expect(result).toMatchObject({ finishReason: "length", completionTokens: 7 });
  });

  it("repeats a seeded sampled output and varies it with the seed", async () => {
    const sampled = (seed: number) => run(completion("Once upon a time"), sampling({ maxTokens: 30, temperature: 0.8, topP: 0.95, seed }));
    const a = await sampled(42);
    const b = await sampled(42);
    expect(b.text).toBe(a.text);
    const others = new Set<string>();
    for (const seed of [1, 2, 3, 4]) others.add((await sampled(seed)).text);
    others.add(a.text);
    expect(others.size).toBeGreaterThan(1);
  });

  it("cancels mid-generation within a second", async () => {
    const controller = new AbortController();
    let abortedAt = 0;
    const result = await engine.generate(
      { jobId: "cancel", input: completion("Once upon a time"), sampling: sampling({ maxTokens: 100_000 }) },
      () => {
        if (controller.signal.aborted) return;
        abortedAt = performance.now();
        controller.abort();
      },
      controller.signal,
    );
    expect(result.finishReason).toBe("cancelled");
    expect(performance.now() - abortedAt).toBeLessThan(1000);
    expect(result.completionTokens).toBeLessThan(2000);
  });

  it("answers chat input through the general chat format (the model has no template)", async () => {
    const result = await run({ kind: "chat", messages: [{ role: "system", content: "You tell stories." }, { role: "user", content: "Tell me a story about a dog." }] }, sampling({ maxTokens: 20 }));
    expect(result.completionTokens).toBeGreaterThan(0);
    expect(result.text.length).toBeGreaterThan(0);
    // The formatted conversation, not only the user's words, is evaluated.
    expect(result.promptTokens).toBeGreaterThan(model.tokenize("You tell stories. Tell me a story about a dog.").length);
  });
});
