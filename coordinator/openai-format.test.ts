import { describe, expect, it } from "vitest";
import {
  chatChunk,
  chatResponse,
  completionChunk,
  errorBody,
  openAiFinishReason,
  sseData,
  SSE_DONE,
  sseError,
  usageChunk,
  usageOf,
  type ResponseMeta,
} from "./openai-format";

const meta: ResponseMeta = { id: "chatcmpl-1", created: 1_700_000_000, model: "m", includeUsage: false };

describe("SSE framing", () => {
  it("frames one JSON payload per data event and ends with [DONE]", () => {
    expect(sseData({ a: 1 })).toBe('data: {"a":1}\n\n');
    expect(SSE_DONE).toBe("data: [DONE]\n\n");
  });

  it("sends errors as an error event in OpenAI's error shape", () => {
    const text = sseError(errorBody("boom", "server_error", "node_failed"));
    expect(text.startsWith("event: error\ndata: ")).toBe(true);
    expect(JSON.parse(text.split("data: ")[1] ?? "")).toEqual({ error: { message: "boom", type: "server_error", param: null, code: "node_failed" } });
  });
});

describe("chunks", () => {
  it("builds chat chunks with a role delta first and a finish reason last", () => {
    expect(chatChunk(meta, { role: "assistant", content: "" }, null)).toEqual({
      id: "chatcmpl-1",
      object: "chat.completion.chunk",
      created: 1_700_000_000,
      model: "m",
      system_fingerprint: null,
      choices: [{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }],
    });
    expect(chatChunk(meta, {}, "length")).toMatchObject({ choices: [{ delta: {}, finish_reason: "length" }] });
  });

  it("builds text_completion chunks", () => {
    expect(completionChunk({ ...meta, id: "cmpl-1" }, "Hi", null)).toEqual({
      id: "cmpl-1",
      object: "text_completion",
      created: 1_700_000_000,
      model: "m",
      choices: [{ text: "Hi", index: 0, logprobs: null, finish_reason: null }],
    });
  });

  it("marks every chunk usage: null and ends with an empty-choices usage chunk when usage is asked", () => {
    const withUsage = { ...meta, includeUsage: true };
    expect(completionChunk(withUsage, "x", null)).toMatchObject({ usage: null });
    expect(usageChunk(withUsage, "chat", usageOf(3, 4))).toMatchObject({
      object: "chat.completion.chunk",
      choices: [],
      usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
    });
    expect(usageChunk(withUsage, "completion", usageOf(1, 1))).toMatchObject({ object: "text_completion", choices: [] });
  });

  it("builds a whole chat response with usage", () => {
    expect(chatResponse(meta, "Hello", "stop", usageOf(2, 1))).toMatchObject({
      object: "chat.completion",
      choices: [{ index: 0, message: { role: "assistant", content: "Hello" }, finish_reason: "stop" }],
      usage: { total_tokens: 3 },
    });
  });

  it("never shows the internal 'cancelled' finish reason", () => {
    expect(openAiFinishReason("cancelled")).toBe("stop");
    expect(openAiFinishReason("length")).toBe("length");
  });
});
