/**
 * Consumers and the admin: keys created, listed, changed, topped up and revoked through the admin
 * API; per-key rate limits (429 with Retry-After); a key's own usage; list prices; the nodes with
 * their state and its reason. Through plain fetch and the official `openai` client.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import OpenAI from "openai";
import { jobCostMicroUsd } from "../shared/money";
import { SimNode } from "./test-support/sim-node";
import { startTestCoordinator, TEST_ADMIN_TOKEN, TEST_PRICE, waitUntil, type TestCoordinator } from "./test-support/harness";

let t: TestCoordinator;
const nodes: SimNode[] = [];
const PROMPT_TOKENS = 2;

beforeAll(async () => {
  t = await startTestCoordinator({ verification: false });
});
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.close()));
});
afterAll(async () => {
  await t?.close();
});

async function admin(method: string, path: string, body?: unknown, token = TEST_ADMIN_TOKEN): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${t.coordinator.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const clientFor = (key: string) => new OpenAI({ apiKey: key, baseURL: `${t.coordinator.url}/v1`, maxRetries: 0 });

async function node(models: string[], extra: Partial<Parameters<typeof SimNode.connect>[0]> = {}): Promise<SimNode> {
  const n = await SimNode.connect({ wsUrl: t.coordinator.wsUrl, models, promptTokens: PROMPT_TOKENS, ...extra });
  nodes.push(n);
  return n;
}

describe("the admin token", () => {
  it("guards every admin route", async () => {
    for (const [method, path] of [["GET", "/admin/keys"], ["POST", "/admin/keys"], ["GET", "/admin/nodes"], ["GET", "/admin/prices"], ["PUT", "/admin/prices/m"], ["POST", "/admin/keys/x/revoke"]]) {
      expect((await admin(method as string, path as string, method === "GET" ? undefined : {}, "wrong")).status).toBe(401);
      expect((await fetch(`${t.coordinator.url}${path}`, { method })).status).toBe(401);
    }
    expect((await admin("GET", "/admin/nothing")).status).toBe(404);
    expect((await admin("DELETE", "/admin/keys")).status).toBe(405);
  });
});

describe("consumer keys", () => {
  it("are created, listed without their secret, changed, topped up and revoked", async () => {
    const created = await admin("POST", "/admin/keys", { creditMicroUsd: 5_000, name: "team", ratePerMinute: 30 });
    expect(created.status).toBe(201);
    const { id, key } = created.json as { id: string; key: string };
    const listed = await admin("GET", "/admin/keys");
    const entry = (listed.json.keys as Record<string, unknown>[]).find((k) => k.id === id);
    expect(entry).toMatchObject({ name: "team", ratePerMinute: 30, balanceMicroUsd: 5_000, reservedMicroUsd: 0, revokedAt: null });
    expect(JSON.stringify(listed.json)).not.toContain(key);

    expect((await admin("PATCH", `/admin/keys/${id}`, { ratePerMinute: null, name: "renamed" })).json).toMatchObject({ ratePerMinute: null, name: "renamed" });
    expect((await admin("POST", `/admin/keys/${id}/topup`, { amountMicroUsd: 2_500 })).json).toMatchObject({ balanceMicroUsd: 7_500 });
    expect((await t.consumerBalance(id)).balanceMicroUsd).toBe(7_500);

    await expect(clientFor(key).models.list()).resolves.toBeDefined();
    const revoked = await admin("POST", `/admin/keys/${id}/revoke`);
    expect(revoked.status).toBe(200);
    expect(revoked.json.revokedAt).toEqual(expect.any(String));
    await expect(clientFor(key).models.list()).rejects.toMatchObject({ status: 401, code: "invalid_api_key" });
    expect((await admin("POST", `/admin/keys/${id}/revoke`)).status).toBe(409);
    expect((await admin("POST", `/admin/keys/${id}/topup`, { amountMicroUsd: 1 })).status).toBe(404);
    expect((await t.consumerBalance(id)).balanceMicroUsd).toBe(7_500);
  });

  it("refuse bad input with a 400 naming the field, and change nothing", async () => {
    const { json } = await admin("POST", "/admin/keys", { creditMicroUsd: 100 });
    const id = json.id as string;
    for (const [method, path, body, field] of [
      ["POST", "/admin/keys", { creditMicroUsd: -1 }, "creditMicroUsd"],
      ["POST", "/admin/keys", { creditMicroUsd: 1, ratePerMinute: 0 }, "ratePerMinute"],
      ["POST", `/admin/keys/${id}/topup`, { amountMicroUsd: 1.5 }, "amountMicroUsd"],
      ["POST", `/admin/keys/${id}/topup`, { amountMicroUsd: 0 }, "amountMicroUsd"],
      ["PATCH", `/admin/keys/${id}`, { ratePerMinute: "fast" }, "ratePerMinute"],
      ["PUT", "/admin/prices/m", { inputMicroUsdPerMTok: 1 }, "outputMicroUsdPerMTok"],
    ] as const) {
      const res = await admin(method, path, body);
      expect(res.status).toBe(400);
      expect((res.json.error as { param: string }).param).toBe(field);
    }
    expect((await admin("POST", `/admin/keys/${id}/topup`, "{oops")).status).toBe(400);
    expect((await admin("GET", "/admin/keys/key_unknown")).status).toBe(404);
    expect(await t.consumerBalance(id)).toMatchObject({ balanceMicroUsd: 100, reservedMicroUsd: 0 });
  });
});

describe("rate limits", () => {
  it("answer 429 with Retry-After once a key used its requests, charging nothing for the refused one", async () => {
    await node(["a-rate"]);
    const { json } = await admin("POST", "/admin/keys", { creditMicroUsd: 1_000_000, ratePerMinute: 2 });
    const client = clientFor(json.key as string);
    for (let i = 0; i < 2; i++) await client.completions.create({ model: "a-rate", prompt: "hi", max_tokens: 4 });
    const before = await t.consumerBalance(json.id as string);
    await expect(client.completions.create({ model: "a-rate", prompt: "hi", max_tokens: 4 })).rejects.toMatchObject({ status: 429, code: "rate_limit_exceeded" });
    const raw = await fetch(`${t.coordinator.url}/v1/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${json.key as string}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "a-rate", prompt: "hi" }),
    });
    expect(raw.status).toBe(429);
    expect(Number(raw.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(Number(raw.headers.get("retry-after"))).toBeLessThanOrEqual(30);
    expect(await t.consumerBalance(json.id as string)).toEqual(before);
    // Another key is not affected.
    const other = await admin("POST", "/admin/keys", { creditMicroUsd: 1_000_000, ratePerMinute: 2 });
    await expect(clientFor(other.json.key as string).completions.create({ model: "a-rate", prompt: "hi", max_tokens: 4 })).resolves.toBeDefined();
  });
});

describe("usage", () => {
  it("shows a key its balance, what it spent and its tokens by day (openai client and fetch)", async () => {
    await node(["a-usage"]);
    const { json } = await admin("POST", "/admin/keys", { creditMicroUsd: 1_000_000 });
    const client = clientFor(json.key as string);
    const answers = [await client.completions.create({ model: "a-usage", prompt: "one", max_tokens: 3 }), await client.completions.create({ model: "a-usage", prompt: "two" })];
    const spent = answers.reduce((sum, a) => sum + jobCostMicroUsd(TEST_PRICE, a.usage?.prompt_tokens ?? 0, a.usage?.completion_tokens ?? 0), 0);
    const usage = (await client.get("/usage")) as Record<string, unknown>;
    const today = new Date().toISOString().slice(0, 10);
    expect(usage).toEqual({
      object: "usage",
      key_id: json.id,
      balance_micro_usd: 1_000_000 - spent,
      reserved_micro_usd: 0,
      available_micro_usd: 1_000_000 - spent,
      spent_micro_usd: spent,
      refunded_micro_usd: 0,
      refunds: [],
      days: [{ date: today, requests: 2, prompt_tokens: 2 * PROMPT_TOKENS, completion_tokens: 3 + 4, spent_micro_usd: spent }],
    });
    const viaFetch = await fetch(`${t.coordinator.url}/v1/usage?days=1`, { headers: { authorization: `Bearer ${json.key as string}` } });
    expect(await viaFetch.json()).toEqual(usage);
    expect((await fetch(`${t.coordinator.url}/v1/usage?days=0`, { headers: { authorization: `Bearer ${json.key as string}` } })).status).toBe(400);
    expect((await fetch(`${t.coordinator.url}/v1/usage`)).status).toBe(401);
  });
});

describe("prices and nodes", () => {
  it("bills at the list price the admin sets", async () => {
    await node(["a-price"]);
    const price = { inputMicroUsdPerMTok: 7_000_000, outputMicroUsdPerMTok: 9_000_000 };
    expect((await admin("PUT", "/admin/prices/a-price", price)).json).toEqual({ model: "a-price", ...price });
    expect(((await admin("GET", "/admin/prices")).json.models as Record<string, unknown>)["a-price"]).toEqual(price);
    const { json } = await admin("POST", "/admin/keys", { creditMicroUsd: 1_000_000 });
    const res = await clientFor(json.key as string).completions.create({ model: "a-price", prompt: "hi", max_tokens: 4 });
    expect(res.usage?.completion_tokens).toBe(4);
    expect(1_000_000 - (await t.consumerBalance(json.id as string)).balanceMicroUsd).toBe(jobCostMicroUsd(price, PROMPT_TOKENS, 4));
  });

  it("lists the nodes with their state and its reason, and quarantines and releases one", async () => {
    const idle = await node(["a-nodes"]);
    const paused = await node(["a-nodes"]);
    paused.send({
      type: "status",
      status: { sharing: false, reason: "Paused: on battery", models: [{ id: "a-nodes", label: "a-nodes", contextSize: 2048, demo: false }], capacity: 1, hardware: { backend: "cpu", gpu: null, cpu: "sim", memoryBytes: 1, vramBytes: null } },
    });
    const find = async (n: SimNode) => ((await admin("GET", "/admin/nodes")).json.nodes as Record<string, unknown>[]).find((x) => x.address === n.address.toLowerCase());
    await waitUntil(async () => (await find(paused))?.state === "not sharing", 3_000, "the paused status");
    expect(await find(paused)).toMatchObject({ state: "not sharing", reason: "Paused: on battery" });
    expect(await find(idle)).toMatchObject({ state: "idle", backend: "cpu", capacity: 1, inFlight: 0, quarantine: null, models: [{ id: "a-nodes" }] });

    expect((await admin("POST", `/admin/nodes/${idle.address}/quarantine`, { reason: "" })).status).toBe(400);
    expect((await admin("POST", "/admin/nodes/not-an-address/quarantine", { reason: "x" })).status).toBe(400);
    expect((await admin("POST", `/admin/nodes/${idle.address}/quarantine`, { reason: "spot check" })).status).toBe(200);
    expect(await find(idle)).toMatchObject({ state: "quarantined", reason: "by the operator: spot check" });
    const notice = await idle.waitFor((m) => m.type === "error" && m.code === "quarantined");
    expect(notice.type === "error" && notice.message).toContain("spot check");
    expect(await t.ledger.holdOf(idle.address)).not.toBeNull();
    const { json } = await admin("POST", "/admin/keys", { creditMicroUsd: 1_000_000 });
    await expect(clientFor(json.key as string).completions.create({ model: "a-nodes", prompt: "hi" })).rejects.toMatchObject({ status: 503 });

    expect((await admin("POST", `/admin/nodes/${idle.address}/release`)).status).toBe(200);
    expect((await admin("POST", `/admin/nodes/${idle.address}/release`)).status).toBe(409);
    expect(await find(idle)).toMatchObject({ state: "idle", quarantine: null });
    expect(await t.ledger.holdOf(idle.address)).toBeNull();
    await expect(clientFor(json.key as string).completions.create({ model: "a-nodes", prompt: "hi" })).resolves.toBeDefined();
  });
});
