import { describe, expect, it } from "vitest";
import { encodeCoordinatorMessage, encodeNodeMessage, MAX_FRAME_BYTES, parseCoordinatorMessage, parseNodeMessage, PROTOCOL_VERSION } from "./protocol";

const status = {
  sharing: true,
  reason: "Ready",
  models: [{ id: "m", label: "M", contextSize: 512, demo: false }],
  capacity: 1,
  hardware: { backend: "cpu" as const, gpu: null, cpu: "x86", memoryBytes: 1024, vramBytes: null },
};

describe("node ⇄ coordinator protocol", () => {
  it("round-trips every message through encode and parse with the version added", () => {
    const login = encodeNodeMessage({ type: "login", address: `0x${"a".repeat(40)}`, nonce: "n".repeat(32), signature: "0x1234", agent: "t", status });
    expect(JSON.parse(login).v).toBe(PROTOCOL_VERSION);
    expect(parseNodeMessage(login)).toMatchObject({ ok: true, value: { type: "login" } });
    const job = encodeCoordinatorMessage({
      type: "job",
      jobId: "j",
      model: "m",
      input: { kind: "chat", messages: [{ role: "user", content: "hi" }] },
      sampling: { maxTokens: 5, temperature: 0, topP: 1, stop: [] },
    });
    expect(parseCoordinatorMessage(job)).toMatchObject({ ok: true, value: { type: "job", input: { kind: "chat" } } });
  });

  it("answers non-JSON, wrong shapes, wrong versions and oversized frames with reasons", () => {
    expect(parseNodeMessage("{not json")).toEqual({ ok: false, error: "frame is not valid JSON" });
    const wrongField = parseNodeMessage(JSON.stringify({ v: 1, type: "tokens", jobId: "j", text: "x", count: 0 }));
    expect(wrongField.ok).toBe(false);
    if (!wrongField.ok) expect(wrongField.error).toMatch(/count/);
    const unknownType = parseCoordinatorMessage(JSON.stringify({ v: 1, type: "launch-missiles" }));
    expect(unknownType.ok).toBe(false);
    const version = parseNodeMessage(JSON.stringify({ v: 99, type: "status", status }));
    expect(version).toEqual({ ok: false, error: expect.stringMatching(/unsupported protocol version 99/) });
    const big = parseNodeMessage("x".repeat(MAX_FRAME_BYTES + 1));
    expect(big).toEqual({ ok: false, error: expect.stringMatching(/too large/) });
  });

  it("refuses sampling out of range and addresses that are not EVM addresses", () => {
    const bad = (sampling: object) =>
      parseCoordinatorMessage(JSON.stringify({ v: 1, type: "job", jobId: "j", model: "m", input: { kind: "completion", prompt: "p" }, sampling })).ok;
    expect(bad({ maxTokens: 5, temperature: 3, topP: 1, stop: [] })).toBe(false);
    expect(bad({ maxTokens: 0, temperature: 1, topP: 1, stop: [] })).toBe(false);
    expect(bad({ maxTokens: 5, temperature: 1, topP: 0, stop: [] })).toBe(false);
    expect(bad({ maxTokens: 5, temperature: 1, topP: 1, stop: ["a", "b", "c", "d", "e"] })).toBe(false);
    expect(bad({ maxTokens: 5, temperature: 1, topP: 1, stop: [] })).toBe(true);
    const login = parseNodeMessage(JSON.stringify({ v: 1, type: "login", address: "0x123", nonce: "n".repeat(32), signature: "0x", agent: "a", status }));
    expect(login.ok).toBe(false);
  });
});
