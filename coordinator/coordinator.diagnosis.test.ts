/**
 * "Why am I not getting jobs", the coordinator's side: a node sends `diagnose` and hears how the
 * coordinator sees it — sharing or not (with the reason it reported), the demand for its model
 * in the last hour, the other nodes serving it and the requests waiting.
 */
import OpenAI from "openai";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CoordinatorMessage, DiagnosisView } from "../shared/protocol";
import { startTestCoordinator, waitUntil, type TestCoordinator } from "./test-support/harness";
import { SimNode, type SimNodeOptions } from "./test-support/sim-node";

let t: TestCoordinator;
let nodes: SimNode[];
let requests = 0;

async function node(opts: Omit<SimNodeOptions, "wsUrl"> = {}): Promise<SimNode> {
  const n = await SimNode.connect({ wsUrl: t.coordinator.wsUrl, ...opts });
  nodes.push(n);
  return n;
}

async function diagnose(n: SimNode): Promise<DiagnosisView> {
  const requestId = `r${++requests}`;
  n.send({ type: "diagnose", requestId });
  const answer = (await n.waitFor((m) => m.type === "diagnosis" && m.requestId === requestId)) as Extract<CoordinatorMessage, { type: "diagnosis" }>;
  return answer.view;
}

async function client(): Promise<OpenAI> {
  const { key } = await t.coordinator.createApiKey(10_000_000, "diagnosis");
  return new OpenAI({ apiKey: key, baseURL: `${t.coordinator.url}/v1`, maxRetries: 0 });
}

beforeEach(async () => {
  t = await startTestCoordinator({ maxQueueWaitMs: 10_000 });
  nodes = [];
});
afterEach(async () => {
  for (const n of nodes) await n.close();
  await t.close();
});

describe("the coordinator's view of a node", () => {
  it("says there is no demand and no one else, then counts the jobs the node served", async () => {
    const a = await node({ models: ["story-model"] });
    let view = await diagnose(a);
    expect(view).toEqual({
      seenSharing: true,
      jobsLastHour: 0,
      servedLastHour: 0,
      otherNodes: 0,
      queued: 0,
      notes: ["No demand for story-model in the last hour"],
    });

    const openai = await client();
    await openai.completions.create({ model: "story-model", prompt: "Hi", max_tokens: 4 });
    await openai.completions.create({ model: "story-model", prompt: "Hi", max_tokens: 4 });
    view = await diagnose(a);
    expect(view).toMatchObject({ seenSharing: true, jobsLastHour: 2, servedLastHour: 2, otherNodes: 0, queued: 0, notes: [] });
  });

  it("counts the other sharing nodes serving the same model, not the paused ones or other models", async () => {
    const a = await node({ models: ["story-model"] });
    await node({ models: ["story-model"] });
    await node({ models: ["story-model"] });
    await node({ models: ["story-model"], sharing: false });
    await node({ models: ["another-model"] });
    const view = await diagnose(a);
    expect(view.otherNodes).toBe(2);
    expect(view.notes).toContain("2 other nodes serve story-model");
  });

  it("repeats the reason a paused node reported", async () => {
    const a = await node({ models: ["story-model"] });
    a.send({
      type: "status",
      status: {
        sharing: false,
        reason: "Paused: Steam game running (Cyberpunk 2077)",
        models: [{ id: "story-model", label: "story-model", contextSize: 2048, demo: false }],
        capacity: 1,
        hardware: { backend: "cpu", gpu: null, cpu: "simulated", memoryBytes: 1 << 30, vramBytes: null },
      },
    });
    let view: DiagnosisView | null = null;
    await waitUntil(async () => {
      view = await diagnose(a);
      return !view.seenSharing;
    }, 3000, "the paused status to arrive");
    expect(view).toMatchObject({ seenSharing: false });
    expect(view!.notes).toContain("The coordinator sees this node as not sharing: Paused: Steam game running (Cyberpunk 2077)");
  });

  it("counts the requests waiting for a busy node", async () => {
    const a = await node({ models: ["story-model"], capacity: 1, tokens: Array.from({ length: 40 }, (_, i) => ` t${i}`), tokenIntervalMs: 25 });
    const openai = await client();
    const running = [1, 2, 3].map(() => openai.completions.create({ model: "story-model", prompt: "Hi", max_tokens: 40 }));
    let view: DiagnosisView | null = null;
    await waitUntil(async () => {
      view = await diagnose(a);
      return view.queued === 2;
    }, 3000, "two requests in line");
    expect(view!.notes).toContain("2 requests are waiting for story-model");
    await Promise.all(running);
  });

  it("answers a diagnose only from a logged-in node and never crashes on a bad one", async () => {
    const a = await node({ models: ["story-model"] });
    a.sendRaw(JSON.stringify({ v: 1, type: "diagnose", requestId: "" }));
    await a.waitFor((m) => m.type === "error" && m.code === "bad_message");
    expect((await diagnose(a)).seenSharing).toBe(true);
  });
});
