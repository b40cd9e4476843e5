import { describe, expect, it } from "vitest";
import { DEFAULT_MAX_TOKENS, parseChatRequest, parseCompletionRequest, promptTokenUpperBound } from "./openai-request";

describe("parseCompletionRequest", () => {
  it("maps a minimal body to a job with defaults", () => {
    const r = parseCompletionRequest({ model: "m", prompt: "Once upon a time" });
    expect(r).toEqual({
      ok: true,
      value: {
        kind: "completion",
        model: "m",
        input: { kind: "completion", prompt: "Once upon a time" },
        sampling: { maxTokens: DEFAULT_MAX_TOKENS, temperature: 1, topP: 1, stop: [] },
        stream: false,
        includeUsage: false,
        maxPrice: {},
      },
    });
  });

  it("takes the max_price extension, and refuses a malformed one naming the field", () => {
    const r = parseCompletionRequest({ model: "m", prompt: "x", max_price: { input: 50_000, output: 90_000 } });
    expect(r.ok && r.value.maxPrice).toEqual({ input: 50_000, output: 90_000 });
    const half = parseCompletionRequest({ model: "m", prompt: "x", max_price: { output: 1 } });
    expect(half.ok && half.value.maxPrice).toEqual({ output: 1 });
    for (const max_price of [{ output: -1 }, { output: 1.5 }, { outputs: 3 }, "cheap"]) {
      const bad = parseCompletionRequest({ model: "m", prompt: "x", max_price });
      expect(bad.ok).toBe(false);
      expect(!bad.ok && bad.error.param).toMatch(/^max_price/);
    }
  });

  it("takes every sampling field and ignores unknown ones", () => {
    const r = parseCompletionRequest({
      model: "m",
      prompt: ["only one"],
      max_tokens: 12,
      temperature: 0,
      top_p: 0.5,
      seed: 42,
      stop: "\n",
      stream: true,
      stream_options: { include_usage: true },
      n: 1,
      user: "u-1",
      logit_bias: { "1": 2 },
    });
    expect(r.ok && r.value).toMatchObject({
      input: { kind: "completion", prompt: "only one" },
      sampling: { maxTokens: 12, temperature: 0, topP: 0.5, seed: 42, stop: ["\n"] },
      stream: true,
      includeUsage: true,
    });
  });

  it("maps a negative seed into the protocol's unsigned range", () => {
    const r = parseCompletionRequest({ model: "m", prompt: "x", seed: -1 });
    expect(r.ok && r.value.sampling.seed).toBe(2 ** 32 - 1);
  });

  it.each([
    [{ prompt: "x" }, "model"],
    [{ model: "m" }, "prompt"],
    [{ model: "m", prompt: ["a", "b"] }, "prompt"],
    [{ model: "m", prompt: "x", temperature: 2.5 }, "temperature"],
    [{ model: "m", prompt: "x", top_p: 0 }, "top_p"],
    [{ model: "m", prompt: "x", max_tokens: 0 }, "max_tokens"],
    [{ model: "m", prompt: "x", stop: ["a", "b", "c", "d", "e"] }, "stop"],
    [{ model: "m", prompt: "x", n: 2 }, "n"],
  ])("refuses %j, naming the field %s", (body, param) => {
    const r = parseCompletionRequest(body);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.param).toBe(param);
  });

  it("refuses a body that is not an object", () => {
    expect(parseCompletionRequest("hello").ok).toBe(false);
    expect(parseCompletionRequest(null).ok).toBe(false);
  });
});

describe("parseChatRequest", () => {
  it("joins text parts and prefers max_completion_tokens", () => {
    const r = parseChatRequest({
      model: "m",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: [{ type: "text", text: "Hello " }, { type: "text", text: "there" }], name: "ann" },
      ],
      max_tokens: 10,
      max_completion_tokens: 20,
    });
    expect(r.ok && r.value.input).toEqual({
      kind: "chat",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hello there" },
      ],
    });
    expect(r.ok && r.value.sampling.maxTokens).toBe(20);
  });

  it("refuses image parts, tool roles and empty conversations", () => {
    expect(parseChatRequest({ model: "m", messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "x" } }] }] }).ok).toBe(false);
    expect(parseChatRequest({ model: "m", messages: [{ role: "tool", content: "x" }] }).ok).toBe(false);
    expect(parseChatRequest({ model: "m", messages: [] }).ok).toBe(false);
  });

  it("only reports usage in the stream when streaming", () => {
    const r = parseChatRequest({ model: "m", messages: [{ role: "user", content: "x" }], stream_options: { include_usage: true } });
    expect(r.ok && r.value.includeUsage).toBe(false);
  });
});

describe("promptTokenUpperBound", () => {
  it("counts UTF-8 bytes, so multi-byte text gets a larger bound", () => {
    const ascii = promptTokenUpperBound({ kind: "completion", prompt: "abcd" });
    const emoji = promptTokenUpperBound({ kind: "completion", prompt: "😀😀😀😀" });
    expect(emoji - ascii).toBe(12);
  });

  it("leaves room for a chat template around every message", () => {
    const one = promptTokenUpperBound({ kind: "chat", messages: [{ role: "user", content: "hi" }] });
    const two = promptTokenUpperBound({ kind: "chat", messages: [{ role: "user", content: "hi" }, { role: "user", content: "hi" }] });
    expect(two - one).toBeGreaterThan(2 + 4);
  });

  it("counts a continuation's prefill as prompt", () => {
    const plain = promptTokenUpperBound({ kind: "completion", prompt: "abcd" });
    expect(promptTokenUpperBound({ kind: "completion", prompt: "abcd", prefill: "efg" }) - plain).toBe(3);
    const chat = promptTokenUpperBound({ kind: "chat", messages: [{ role: "user", content: "hi" }] });
    expect(promptTokenUpperBound({ kind: "chat", messages: [{ role: "user", content: "hi" }], prefill: "ok" }) - chat).toBe(2);
  });
});
