/**
 * The backbone end to end: the official openai client → coordinator → node agent → worker
 * process (real node-llama-cpp on a model the project generates) → back.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jobCostMicroUsd, DEFAULT_PRICE } from "../shared/money";
import { startTestNetwork, type TestNetwork } from "./support/network";

describe("a request served end to end", () => {
  let net: TestNetwork;
  beforeAll(async () => {
    net = await startTestNetwork();
  });
  afterAll(async () => {
    await net?.close();
  });

  it("lists the node's model", async () => {
    const models = await net.client.models.list();
    expect(models.data.map((m) => m.id)).toContain(net.modelId);
  });

  it("completes without streaming, honours max_tokens and reports usage", async () => {
    const result = await net.client.completions.create({ model: net.modelId, prompt: "Hello there", max_tokens: 12, temperature: 0 });
    expect(result.object).toBe("text_completion");
    const usage = result.usage;
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    expect(usage?.completion_tokens).toBeLessThanOrEqual(12);
    expect(usage?.prompt_tokens).toBeGreaterThan(0);
    expect(usage?.total_tokens).toBe((usage?.prompt_tokens ?? 0) + (usage?.completion_tokens ?? 0));
    if (usage?.completion_tokens === 12) expect(result.choices[0]?.finish_reason).toBe("length");
  });

  it("gives the same text streamed and not streamed at temperature 0, and the same text twice", async () => {
    const plain = await net.client.completions.create({ model: net.modelId, prompt: "The sea", max_tokens: 16, temperature: 0 });
    const again = await net.client.completions.create({ model: net.modelId, prompt: "The sea", max_tokens: 16, temperature: 0 });
    expect(again.choices[0]?.text).toBe(plain.choices[0]?.text);
    const stream = await net.client.completions.create({
      model: net.modelId,
      prompt: "The sea",
      max_tokens: 16,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.text ?? "";
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(plain.choices[0]?.text);
    expect(usage).toEqual(plain.usage);
  });

  it("answers chat completions, streaming and not", async () => {
    const messages = [
      { role: "system" as const, content: "You are terse." },
      { role: "user" as const, content: "Say something." },
    ];
    const chat = await net.client.chat.completions.create({ model: net.modelId, messages, max_tokens: 10, temperature: 0 });
    expect(chat.object).toBe("chat.completion");
    expect(chat.choices[0]?.message.role).toBe("assistant");
    expect(typeof chat.choices[0]?.message.content).toBe("string");
    expect(chat.usage?.completion_tokens).toBeGreaterThan(0);
    const stream = await net.client.chat.completions.create({ model: net.modelId, messages, max_tokens: 10, temperature: 0, stream: true });
    let text = "";
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toBe(chat.choices[0]?.message.content);
    expect(finish).toBe(chat.choices[0]?.finish_reason);
  });

  it("honours seed: the same seed at temperature 1 gives the same text", async () => {
    const ask = (seed: number) =>
      net.client.completions.create({ model: net.modelId, prompt: "A", max_tokens: 16, temperature: 1, top_p: 0.9, seed });
    const a = await ask(42);
    const b = await ask(42);
    expect(b.choices[0]?.text).toBe(a.choices[0]?.text);
  });

  it("ends a raw stream with data: [DONE]", async () => {
    const response = await fetch(`${net.coordinator.url}/v1/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${net.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: net.modelId, prompt: "Hi", max_tokens: 4, stream: true }),
    });
    expect(response.headers.get("content-type")).toMatch(/text\/event-stream/);
    const body = await response.text();
    const events = body.split("\n\n").filter(Boolean);
    expect(events.at(-1)?.trim()).toBe("data: [DONE]");
  });

  it("charges the consumer exactly the job's cost and credits the node the same (fee 0)", async () => {
    // Credits of earlier requests may still be on their way: wait until the balance holds still.
    let before = await net.state();
    for (let stable = 0, i = 0; stable < 3 && i < 50; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const now = await net.state();
      stable = now.earnings.balanceMicroUsd === before.earnings.balanceMicroUsd && now.currentJob === null ? stable + 1 : 0;
      before = now;
    }
    const result = await net.client.completions.create({ model: net.modelId, prompt: "Count", max_tokens: 8, temperature: 0 });
    const cost = jobCostMicroUsd(DEFAULT_PRICE, result.usage?.prompt_tokens ?? 0, result.usage?.completion_tokens ?? 0);
    expect(cost).toBeGreaterThan(0);
    const after = await net.waitForState((s) => s.earnings.balanceMicroUsd > before.earnings.balanceMicroUsd);
    expect(after.earnings.balanceMicroUsd - before.earnings.balanceMicroUsd).toBe(cost);
    expect(after.earnings.todayMicroUsd - before.earnings.todayMicroUsd).toBe(cost);
    expect(after.lastJob?.tokensPerSecond).toBeGreaterThan(0);
  });

  it("uses OpenAI's error statuses and bodies", async () => {
    const bad = new OpenAI({ apiKey: "sk-offpeak-wrong", baseURL: `${net.coordinator.url}/v1`, maxRetries: 0 });
    await expect(bad.models.list()).rejects.toMatchObject({ status: 401 });
    await expect(net.client.completions.create({ model: "no-such-model", prompt: "x" })).rejects.toMatchObject({
      status: 404,
      error: { code: "model_not_found" },
    });
    await expect(net.client.completions.create({ model: net.modelId, prompt: "x", temperature: 5 })).rejects.toMatchObject({ status: 400 });
    const longPrompt = "word ".repeat(400);
    await expect(net.client.completions.create({ model: net.modelId, prompt: longPrompt, max_tokens: 4 })).rejects.toMatchObject({
      status: 400,
      error: { code: "context_length_exceeded" },
    });
    const raw = await fetch(`${net.coordinator.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${net.apiKey}`, "content-type": "application/json" },
      body: "{ not json",
    });
    expect(raw.status).toBe(400);
    expect(await raw.json()).toMatchObject({ error: { type: "invalid_request_error" } });
  });

  it("refuses a consumer with too little credit with 402", async () => {
    const { key } = await net.coordinator.createApiKey(1, "poor");
    const poor = new OpenAI({ apiKey: key, baseURL: `${net.coordinator.url}/v1`, maxRetries: 0 });
    await expect(poor.completions.create({ model: net.modelId, prompt: "Hello", max_tokens: 100 })).rejects.toMatchObject({ status: 402 });
  });
});
