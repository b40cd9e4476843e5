/**
 * How the coordinator copes with nodes that misbehave or fail, and with consumers that leave:
 * bad frames, refused logins, retries before the first token, clean errors after it, cancels,
 * refused receipts and duplicate `done` messages.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import OpenAI from "openai";
import { jobCostMicroUsd } from "../shared/money";
import { SimNode, type SimNodeOptions } from "./test-support/sim-node";
import { startTestCoordinator, TEST_PRICE, waitUntil, type TestCoordinator } from "./test-support/harness";

let t: TestCoordinator;
let key: { id: string; key: string };
let client: OpenAI;
const nodes: SimNode[] = [];

beforeAll(async () => {
  t = await startTestCoordinator({ dispatchTimeoutMs: 600, cancelGraceMs: 2_000, heartbeatMs: 400 });
  key = await t.coordinator.createApiKey(50_000_000, "failures");
  client = new OpenAI({ apiKey: key.key, baseURL: `${t.coordinator.url}/v1`, maxRetries: 0 });
});

afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.close()));
});

afterAll(async () => {
  await t?.close();
});

async function node(opts: Omit<SimNodeOptions, "wsUrl">): Promise<SimNode> {
  const n = await SimNode.connect({ wsUrl: t.coordinator.wsUrl, ...opts });
  nodes.push(n);
  return n;
}

async function jobStatus(jobId: string): Promise<string | undefined> {
  const { rows } = await t.db.query<{ status: string }>(`SELECT status FROM jobs WHERE id = $1`, [jobId]);
  return rows[0]?.status;
}

describe("node connection", () => {
  it("answers a bad frame with an error and keeps the node connected and serving", async () => {
    const n = await node({ models: ["m-frames"] });
    n.sendRaw("this is not json");
    n.sendRaw(JSON.stringify({ v: 1, type: "tokens", jobId: "x" }));
    await waitUntil(() => n.messages("error").length === 2, 2_000, "two error replies");
    expect(n.messages("error").map((e) => e.code)).toEqual(["bad_message", "bad_message"]);
    expect(n.isOpen).toBe(true);
    const res = await client.completions.create({ model: "m-frames", prompt: "hi" });
    expect(res.choices[0]?.text).toBe("Hello, world!");
  });

  it("disconnects a node after too many bad frames", async () => {
    const n = await node({ models: ["m-spam"] });
    for (let i = 0; i < 25; i++) n.sendRaw("{");
    expect(await n.closed).toBe(4003);
  });

  it("drops a node that stops answering heartbeats and stops listing its model", async () => {
    const n = await node({ models: ["m-mute"], noPong: true });
    expect((await client.models.list()).data.map((m) => m.id)).toContain("m-mute");
    await n.closed;
    expect((await client.models.list()).data.map((m) => m.id)).not.toContain("m-mute");
  });

  it("refuses a login signed with another key (close 4001) and never routes to it", async () => {
    const n = await node({ models: ["m-impostor"], loginWithWrongKey: true });
    expect(n.messages("error")[0]?.code).toBe("login_refused");
    expect(n.messages("welcome")).toHaveLength(0);
    expect(await n.closed).toBe(4001);
    expect((await client.models.list()).data.map((m) => m.id)).not.toContain("m-impostor");
  });
});

describe("failures before the first token", () => {
  it("maps the node's context_length_exceeded to a 400 and charges nothing", async () => {
    await node({ models: ["m-ctx"], failWith: { code: "context_length_exceeded", retryable: false, message: "prompt has 9000 tokens, context is 2048" } });
    const before = await t.consumerBalance(key.id);
    await expect(client.chat.completions.create({ model: "m-ctx", messages: [{ role: "user", content: "long" }] })).rejects.toMatchObject({
      status: 400,
      code: "context_length_exceeded",
    });
    expect(await t.consumerBalance(key.id)).toEqual(before);
  });

  it("serves the request on a second node when the first drops before its first token", async () => {
    const good = await node({ models: ["m-drop"], promptTokens: 2 });
    const bad = await node({ models: ["m-drop"], dropBeforeFirstToken: true });
    const res = await client.completions.create({ model: "m-drop", prompt: "hi" });
    expect(res.choices[0]?.text).toBe("Hello, world!");
    expect(bad.jobIds).toHaveLength(1);
    expect(good.jobIds).toEqual(bad.jobIds);
    await good.waitFor((m) => m.type === "credit");
    expect(await t.nodeBalance(good.address)).toBe(jobCostMicroUsd(TEST_PRICE, 2, 4));
    expect(await t.nodeBalance(bad.address)).toBe(0);
  });

  it("retries a retryable failure elsewhere, invisibly to the consumer", async () => {
    const good = await node({ models: ["m-busy"] });
    const busy = await node({ models: ["m-busy"], failWith: { code: "busy", retryable: true } });
    const res = await client.chat.completions.create({ model: "m-busy", messages: [{ role: "user", content: "hi" }] });
    expect(res.choices[0]?.message.content).toBe("Hello, world!");
    expect(busy.jobIds).toHaveLength(1);
    expect(good.jobIds).toHaveLength(1);
  });

  it("cancels a node that sends no first token in time and serves the job elsewhere", async () => {
    const good = await node({ models: ["m-slow"] });
    const silent = await node({ models: ["m-slow"], silent: true });
    const res = await client.completions.create({ model: "m-slow", prompt: "hi" });
    expect(res.choices[0]?.text).toBe("Hello, world!");
    expect(silent.messages("cancel").map((c) => c.jobId)).toEqual(silent.jobIds);
    expect(good.jobIds).toEqual(silent.jobIds);
  });
});

describe("failures after the first token", () => {
  it("ends the stream with a clean error and leaves every balance unchanged", async () => {
    const n = await node({ models: ["m-cut"], dropAfterTokens: 2, tokenIntervalMs: 5 });
    const before = await t.consumerBalance(key.id);
    const stream = await client.completions.create({ model: "m-cut", prompt: "hi", stream: true });
    const texts: string[] = [];
    const failure = await (async () => {
      try {
        for await (const chunk of stream) texts.push(chunk.choices[0]?.text ?? "");
        return null;
      } catch (err) {
        return err;
      }
    })();
    expect(texts.join("")).toBe("Hello,");
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect((failure as InstanceType<typeof OpenAI.APIError>).code).toBe("node_failed");
    expect(await t.consumerBalance(key.id)).toEqual(before);
    expect(await t.nodeBalance(n.address)).toBe(0);
    expect(await jobStatus(n.jobIds[0] ?? "")).toBe("failed");
  });

  it("ends the answer with an error when the node goes quiet mid-answer, charging nobody", async () => {
    const n = await node({ models: ["m-stall"], stallAfterTokens: 2 });
    const before = await t.consumerBalance(key.id);
    await expect(client.completions.create({ model: "m-stall", prompt: "hi" })).rejects.toMatchObject({ status: 502, code: "node_failed" });
    expect(n.messages("cancel").map((c) => c.jobId)).toEqual(n.jobIds);
    expect(await t.consumerBalance(key.id)).toEqual(before);
  });

  it("answers a non-streamed request with a 502 error body when the node drops mid-answer", async () => {
    await node({ models: ["m-cut2"], dropAfterTokens: 1 });
    const before = await t.consumerBalance(key.id);
    await expect(client.completions.create({ model: "m-cut2", prompt: "hi" })).rejects.toMatchObject({ status: 502, code: "node_failed" });
    expect(await t.consumerBalance(key.id)).toEqual(before);
  });
});

describe("consumer going away", () => {
  it("cancels the job on the node within a second and bills only the relayed tokens", async () => {
    const tokens = Array.from({ length: 40 }, (_, i) => ` w${i}`);
    const n = await node({ models: ["m-abort"], tokens, tokenIntervalMs: 50, promptTokens: 3 });
    const before = await t.consumerBalance(key.id);
    const stream = await client.completions.create({ model: "m-abort", prompt: "hi", stream: true, max_tokens: 100 });
    let seen = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.text) seen++;
      if (seen === 2) break; // leaving the loop aborts the request
    }
    const abortedAt = Date.now();
    const cancel = await n.waitFor((m) => m.type === "cancel", 1_000);
    expect(Date.now() - abortedAt).toBeLessThan(1_000);
    expect(cancel.type === "cancel" && cancel.jobId).toBe(n.jobIds[0]);
    const credit = await n.waitFor((m) => m.type === "credit", 3_000);
    const done = n.sentDone.get(n.jobIds[0] ?? "");
    expect(done?.finishReason).toBe("cancelled");
    const produced = done?.receipt.completionTokens ?? 0;
    expect(produced).toBeGreaterThanOrEqual(2);
    expect(produced).toBeLessThan(tokens.length);
    const cost = jobCostMicroUsd(TEST_PRICE, 3, produced);
    expect(credit.type === "credit" && credit.amountMicroUsd).toBe(cost);
    const after = await t.consumerBalance(key.id);
    expect(before.balanceMicroUsd - after.balanceMicroUsd).toBe(cost);
    expect(after.reservedMicroUsd).toBe(0);
  });
});

describe("receipts", () => {
  it("refuses a receipt signed by another key: no credit, no charge, job disputed", async () => {
    const n = await node({ models: ["m-forger"], receiptWithWrongKey: true });
    const before = await t.consumerBalance(key.id);
    const res = await client.completions.create({ model: "m-forger", prompt: "hi" });
    expect(res.choices[0]?.text).toBe("Hello, world!");
    const error = await n.waitFor((m) => m.type === "error", 2_000);
    expect(error.type === "error" && error.code).toBe("receipt_refused");
    expect(n.messages("credit")).toHaveLength(0);
    expect(await t.consumerBalance(key.id)).toEqual(before);
    expect(await t.nodeBalance(n.address)).toBe(0);
    expect(await jobStatus(n.jobIds[0] ?? "")).toBe("disputed");
  });

  it("ignores a duplicate done: the job is credited once", async () => {
    const n = await node({ models: ["m-dup"] });
    await client.completions.create({ model: "m-dup", prompt: "hi" });
    await n.waitFor((m) => m.type === "credit");
    const balance = await t.nodeBalance(n.address);
    const consumer = await t.consumerBalance(key.id);
    const done = n.sentDone.get(n.jobIds[0] ?? "");
    expect(done).toBeDefined();
    if (done) n.send(done);
    n.sendStatus({ sharing: true }); // a round trip after the duplicate, so it has been handled
    await new Promise((r) => setTimeout(r, 200));
    expect(n.messages("credit")).toHaveLength(1);
    expect(await t.nodeBalance(n.address)).toBe(balance);
    expect(await t.consumerBalance(key.id)).toEqual(consumer);
  });
});
