/**
 * The consumer API end to end: the official `openai` client against a coordinator on an
 * in-memory PGlite, served by simulated nodes speaking the real protocol.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import OpenAI from "openai";
import { jobCostMicroUsd, splitCost } from "../shared/money";
import { SimNode } from "./test-support/sim-node";
import { startTestCoordinator, TEST_ADMIN_TOKEN, TEST_PRICE, waitUntil, type TestCoordinator } from "./test-support/harness";

const FEE_BPS = 1000;
const TOKENS = ["Once", " upon", " a", " time"];
const PROMPT_TOKENS = 5;

let t: TestCoordinator;
let node: SimNode;
let key: { id: string; key: string };
let client: OpenAI;

beforeAll(async () => {
  t = await startTestCoordinator({ feeBps: FEE_BPS });
  node = await SimNode.connect({ wsUrl: t.coordinator.wsUrl, models: ["sim-model"], capacity: 4, tokens: TOKENS, promptTokens: PROMPT_TOKENS });
  key = await t.coordinator.createApiKey(10_000_000, "api test");
  client = new OpenAI({ apiKey: key.key, baseURL: `${t.coordinator.url}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await node?.close();
  await t?.close();
});

/** Waits until the node has received the credit for `jobCount` jobs, and returns the last. */
async function creditsAfter(count: number) {
  await waitUntil(() => node.messages("credit").length >= count, 3_000, "credit message");
  return node.messages("credit")[count - 1];
}

describe("consumer API", () => {
  it("lists the models served by connected sharing nodes", async () => {
    const page = await client.models.list();
    const ids = page.data.map((m) => m.id);
    expect(ids).toEqual(["sim-model"]);
    expect(page.data[0]?.owned_by).toBe("offpeak");
  });

  it("answers a non-streamed completion, charges the exact cost and credits the node", async () => {
    const before = await t.consumerBalance(key.id);
    const credits = node.messages("credit").length;
    const res = await client.completions.create({ model: "sim-model", prompt: "Tell me a story", max_tokens: 16 });
    expect(res.object).toBe("text_completion");
    expect(res.choices[0]?.text).toBe(TOKENS.join(""));
    expect(res.choices[0]?.finish_reason).toBe("stop");
    expect(res.usage).toEqual({ prompt_tokens: PROMPT_TOKENS, completion_tokens: TOKENS.length, total_tokens: PROMPT_TOKENS + TOKENS.length });

    const cost = jobCostMicroUsd(TEST_PRICE, PROMPT_TOKENS, TOKENS.length);
    const after = await t.consumerBalance(key.id);
    expect(before.balanceMicroUsd - after.balanceMicroUsd).toBe(cost);
    expect(after.reservedMicroUsd).toBe(0);

    const credit = await creditsAfter(credits + 1);
    expect(credit?.amountMicroUsd).toBe(splitCost(cost, FEE_BPS).nodeMicroUsd);
    expect(credit?.balanceMicroUsd).toBe(await t.nodeBalance(node.address));
    expect(credit?.todayMicroUsd).toBe(credit?.balanceMicroUsd);
  });

  it("streams a completion with usage and ends with [DONE]", async () => {
    const stream = await client.completions.create({
      model: "sim-model",
      prompt: ["Tell me a story"],
      max_tokens: 16,
      stream: true,
      stream_options: { include_usage: true },
    });
    const texts: string[] = [];
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      expect(chunk.object).toBe("text_completion");
      if (chunk.choices[0]) {
        texts.push(chunk.choices[0].text);
        finish = chunk.choices[0].finish_reason ?? finish;
      }
      if (chunk.usage) usage = chunk.usage;
    }
    expect(texts.join("")).toBe(TOKENS.join(""));
    expect(finish).toBe("stop");
    expect(usage).toEqual({ prompt_tokens: PROMPT_TOKENS, completion_tokens: TOKENS.length, total_tokens: PROMPT_TOKENS + TOKENS.length });
  });

  it("answers a non-streamed chat completion", async () => {
    const before = await t.consumerBalance(key.id);
    const res = await client.chat.completions.create({
      model: "sim-model",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: [{ type: "text", text: "Hi" }] },
      ],
      max_completion_tokens: 3,
    });
    expect(res.object).toBe("chat.completion");
    expect(res.choices[0]?.message).toMatchObject({ role: "assistant", content: TOKENS.slice(0, 3).join("") });
    expect(res.choices[0]?.finish_reason).toBe("length");
    expect(res.usage?.completion_tokens).toBe(3);
    const after = await t.consumerBalance(key.id);
    expect(before.balanceMicroUsd - after.balanceMicroUsd).toBe(jobCostMicroUsd(TEST_PRICE, PROMPT_TOKENS, 3));
  });

  it("streams a chat completion: role first, finish reason last, then usage", async () => {
    const stream = await client.chat.completions.create({
      model: "sim-model",
      messages: [{ role: "user", content: "Hi" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((c) => c.object === "chat.completion.chunk")).toBe(true);
    expect(chunks[0]?.choices[0]?.delta.role).toBe("assistant");
    const withChoices = chunks.filter((c) => c.choices.length > 0);
    expect(withChoices.at(-1)?.choices[0]?.finish_reason).toBe("stop");
    expect(withChoices.slice(0, -1).every((c) => c.choices[0]?.finish_reason === null)).toBe(true);
    expect(withChoices.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe(TOKENS.join(""));
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage?.total_tokens).toBe(PROMPT_TOKENS + TOKENS.length);
  });

  it("sends well-formed SSE with data: [DONE] at the end (raw fetch)", async () => {
    const res = await fetch(`${t.coordinator.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key.key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "sim-model", messages: [{ role: "user", content: "Hi" }], stream: true, some_future_field: 1 }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const body = await res.text();
    const events = body.split("\n\n").filter((e) => e.length > 0);
    expect(events.every((e) => e.startsWith("data: "))).toBe(true);
    expect(events.at(-1)).toBe("data: [DONE]");
    const payloads = events.slice(0, -1).map((e) => JSON.parse(e.slice("data: ".length)) as { usage?: unknown });
    expect(payloads.length).toBe(TOKENS.length + 2);
    expect(payloads.some((p) => "usage" in p)).toBe(false);
  });
});

describe("consumer API errors", () => {
  const post = (path: string, body: string, auth = `Bearer ${key.key}`) =>
    fetch(`${t.coordinator.url}${path}`, { method: "POST", headers: { authorization: auth, "content-type": "application/json" }, body });

  it("401 for a missing or wrong key", async () => {
    const bad = new OpenAI({ apiKey: "sk-offpeak-not-a-real-key", baseURL: `${t.coordinator.url}/v1`, maxRetries: 0 });
    await expect(bad.models.list()).rejects.toMatchObject({ status: 401, code: "invalid_api_key", type: "invalid_request_error" });
    const res = await fetch(`${t.coordinator.url}/v1/models`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_api_key");
  });

  it("404 for a model no node ever advertised", async () => {
    await expect(client.completions.create({ model: "no-such-model", prompt: "x" })).rejects.toMatchObject({ status: 404, code: "model_not_found" });
  });

  it("400 for invalid JSON, a bad field and n = 2", async () => {
    const badJson = await post("/v1/completions", "{not json");
    expect(badJson.status).toBe(400);
    expect(((await badJson.json()) as { error: { type: string } }).error.type).toBe("invalid_request_error");
    await expect(client.completions.create({ model: "sim-model", prompt: "x", temperature: 3 })).rejects.toMatchObject({
      status: 400,
      param: "temperature",
    });
    await expect(client.chat.completions.create({ model: "sim-model", messages: [{ role: "user", content: "x" }], n: 2 })).rejects.toMatchObject({
      status: 400,
      param: "n",
    });
  });

  it("402 when the key cannot cover the worst-case cost, and nothing is charged", async () => {
    const poor = await t.coordinator.createApiKey(100, "poor");
    const poorClient = new OpenAI({ apiKey: poor.key, baseURL: `${t.coordinator.url}/v1`, maxRetries: 0 });
    await expect(poorClient.completions.create({ model: "sim-model", prompt: "hello", max_tokens: 100 })).rejects.toMatchObject({
      status: 402,
      code: "insufficient_quota",
    });
    expect(await t.consumerBalance(poor.id)).toMatchObject({ balanceMicroUsd: 100, reservedMicroUsd: 0 });
  });

  it("503 with Retry-After when a known model has no sharing node", async () => {
    node.sendStatus({ sharing: false });
    await waitUntil(async () => (await client.models.list()).data.length === 0, 3_000, "node not sharing");
    const before = await t.consumerBalance(key.id);
    const res = await post("/v1/completions", JSON.stringify({ model: "sim-model", prompt: "x" }));
    expect(res.status).toBe(503);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await t.consumerBalance(key.id)).toEqual(before);
    node.sendStatus({ sharing: true });
    await waitUntil(async () => (await client.models.list()).data.length === 1, 3_000, "node sharing again");
  });

  it("413 for a body over the limit, 404 and 405 for other routes", async () => {
    const huge = await post("/v1/completions", JSON.stringify({ model: "sim-model", prompt: "x".repeat(5 * 1024 * 1024) }));
    expect(huge.status).toBe(413);
    expect((await fetch(`${t.coordinator.url}/v1/nothing`)).status).toBe(404);
    expect((await fetch(`${t.coordinator.url}/v1/completions`)).status).toBe(405);
    expect((await fetch(`${t.coordinator.url}/healthz`)).status).toBe(200);
  });
});

describe("admin API", () => {
  it("creates a funded key with the admin token only", async () => {
    const denied = await fetch(`${t.coordinator.url}/admin/keys`, {
      method: "POST",
      headers: { authorization: "Bearer wrong", "content-type": "application/json" },
      body: JSON.stringify({ creditMicroUsd: 5 }),
    });
    expect(denied.status).toBe(401);
    const res = await fetch(`${t.coordinator.url}/admin/keys`, {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ creditMicroUsd: 1234, name: "via admin" }),
    });
    expect(res.status).toBe(201);
    const created = (await res.json()) as { id: string; key: string };
    expect(created.key).toMatch(/^sk-offpeak-/);
    expect((await t.consumerBalance(created.id)).balanceMicroUsd).toBe(1234);
    const stored = await t.db.query<{ key_hash: string }>(`SELECT key_hash FROM api_keys WHERE id = $1`, [created.id]);
    expect(stored.rows[0]?.key_hash).not.toContain(created.key);
    expect(stored.rows[0]?.key_hash).toMatch(/^[0-9a-f]{64}$/);
  });
});
