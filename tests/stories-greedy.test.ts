/**
 * With temperature 0, the text that comes back through the whole network equals what
 * node-llama-cpp gives in-process for the same model file and prompt. Uses the real tiny trained
 * model stories260K from ../shared/models where that folder exists.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { getLlama, LlamaCompletion, LlamaLogLevel, type Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestNetwork, type TestNetwork } from "./support/network";

const STORIES = resolve(process.cwd(), "../shared/models/stories260K.gguf");
const present = existsSync(STORIES);
if (!present) console.warn(`stories260K greedy-equality test not run: ${STORIES} is absent (it lives in ../shared beside the checkout)`);

describe.skipIf(!present)("stories260K: the network gives node-llama-cpp's own greedy text", () => {
  let net: TestNetwork;
  const prompts = ["Once upon a time", "Lily and Ben went to the park", "The little dog"];
  const expected = new Map<string, string>();

  beforeAll(async () => {
    const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
    const model = await llama.loadModel({ modelPath: STORIES });
    const context = await model.createContext({ contextSize: 256, threads: 1, sequences: 1 });
    const sequence = context.getSequence();
    const completion = new LlamaCompletion({ contextSequence: sequence });
    for (const prompt of prompts) {
      await sequence.clearHistory();
      const tokens: Token[] = [];
      await completion.generateCompletion(prompt, { maxTokens: 48, temperature: 0, onToken: (batch) => tokens.push(...batch) });
      // A completion joins its prompt exactly: the greedy tokens rendered after the prompt's own
      // (so "The little dog" goes on with " was", its first word keeping its leading space).
      expected.set(prompt, model.detokenize(tokens, false, model.tokenize(prompt, false, "trimLeadingSpace")));
    }
    await context.dispose();
    await model.dispose();
    net = await startTestNetwork({ modelPath: STORIES, contextSize: 256 });
  });
  afterAll(async () => {
    await net?.close();
  });

  it("matches in-process greedy decoding, streamed and not", async () => {
    expect(expected.get("Once upon a time")).toMatch(/^, there was a little girl named Lily/);
    expect(expected.get("The little dog")).toMatch(/^ was/);
    for (const prompt of prompts) {
      const plain = await net.client.completions.create({ model: net.modelId, prompt, max_tokens: 48, temperature: 0 });
      expect(plain.choices[0]?.text).toBe(expected.get(prompt));
      const stream = await net.client.completions.create({ model: net.modelId, prompt, max_tokens: 48, temperature: 0, stream: true });
      let text = "";
      for await (const chunk of stream) text += chunk.choices[0]?.text ?? "";
      expect(text).toBe(expected.get(prompt));
    }
  });

  it("stops at a stop sequence and leaves it out, as OpenAI does", async () => {
    const full = expected.get("Once upon a time") ?? "";
    const cut = full.indexOf("Lily");
    expect(cut).toBeGreaterThan(0);
    const result = await net.client.completions.create({ model: net.modelId, prompt: "Once upon a time", max_tokens: 48, temperature: 0, stop: ["Lily"] });
    expect(result.choices[0]?.text).toBe(full.slice(0, cut));
    expect(result.choices[0]?.finish_reason).toBe("stop");
  });
});
