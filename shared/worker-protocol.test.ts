import { describe, expect, it } from "vitest";
import { agentToWorkerMessage, parseAgentToWorkerMessage, parseWorkerToAgentMessage, workerToAgentMessage, WORKER_PROTOCOL_VERSION } from "./worker-protocol";

describe("worker protocol", () => {
  it("accepts the messages each side builds", () => {
    const generate = agentToWorkerMessage({
      type: "generate",
      jobId: "j1",
      input: { kind: "chat", messages: [{ role: "user", content: "hi" }] },
      sampling: { maxTokens: 10, temperature: 0, topP: 1, stop: ["\n"] },
    });
    expect(parseAgentToWorkerMessage(generate)).toEqual({ ok: true, value: generate });
    const done = workerToAgentMessage({ type: "done", jobId: "j1", finishReason: "stop", promptTokens: 3, completionTokens: 2, text: "ok" });
    expect(parseWorkerToAgentMessage(done)).toEqual({ ok: true, value: { ...done, v: WORKER_PROTOCOL_VERSION } });
  });

  it("refuses malformed messages with a readable reason", () => {
    expect(parseAgentToWorkerMessage("load")).toEqual({ ok: false, error: "message is not an object" });
    expect(parseAgentToWorkerMessage({ v: 2, type: "shutdown" })).toMatchObject({ ok: false, error: expect.stringContaining("version 2") });
    expect(parseAgentToWorkerMessage({ v: 1, type: "load", modelPath: "/m.gguf", contextSize: 0, threads: 1, gpu: false })).toMatchObject({
      ok: false,
      error: expect.stringContaining("contextSize"),
    });
    expect(parseWorkerToAgentMessage({ v: 1, type: "failed", jobId: "j", code: "oops", message: "m", retryable: true })).toMatchObject({
      ok: false,
      error: expect.stringContaining("code"),
    });
    expect(parseWorkerToAgentMessage({ v: 1, type: "tokens", jobId: "j", text: "a", count: 0 })).toMatchObject({ ok: false });
  });
});
