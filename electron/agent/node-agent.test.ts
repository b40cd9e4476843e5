import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { recoverTypedDataAddress } from "viem";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { NodeState } from "../../shared/control-api";
import type { NodeStatus } from "../../shared/protocol";
import { receiptTypedData } from "../../shared/typed-data";
import type { InboundMessage, OutgoingNodeMessage } from "./coordinator-client";
import { InferenceError } from "./inference";
import { FakeCoordinatorLink, jobMessage, ScriptedEngine, tinyAgentOptions, waitFor } from "./agent-fakes.fixture";
import { NodeAgent, PARTIAL_SANDBOX_WARNING, UNSANDBOXED_WARNING } from "./node-agent";
import { outputHash } from "./wallet";
import { MemorySettingsStore } from "./settings-store";

describe("node agent", () => {
  let dir: string;
  let sent: OutgoingNodeMessage[];
  let deliver: (m: InboundMessage) => void;
  let connection: (connected: boolean, reason: string) => void;
  let status: () => NodeStatus;
  let engine: ScriptedEngine;
  let agent: NodeAgent;
  let settings: MemorySettingsStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "offpeak-agent-"));
    engine = new ScriptedEngine();
    settings = new MemorySettingsStore();
    const link = new FakeCoordinatorLink();
    ({ sent, deliver, connection, status } = link);
    const options = await tinyAgentOptions(dir, { createEngine: () => engine, settings, connect: link.connect });
    agent = new NodeAgent(options);
    await agent.start();
    connection(true, "connected");
    deliver({ v: 1, type: "welcome", address: options.wallet.address, balanceMicroUsd: 50, todayMicroUsd: 7 });
  });
  afterEach(async () => {
    await agent.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("serves a job: streams tokens, then a receipt signed by its wallet for exactly what it sent", async () => {
    const states: NodeState[] = [];
    agent.onState((s) => states.push(s));
    deliver(jobMessage("j1"));
    await waitFor(() => sent.some((m) => m.type === "done"));
    const tokens = sent.filter((m) => m.type === "tokens");
    expect(tokens.map((m) => (m.type === "tokens" ? m.text : "")).join("")).toBe("Once upon a time");
    const done = sent.find((m) => m.type === "done");
    if (done?.type !== "done") throw new Error("no done");
    expect(done.receipt).toMatchObject({ jobId: "j1", model: "tiny", promptTokens: 3, completionTokens: 4, outputHash: outputHash("Once upon a time") });
    const { signature, ...body } = done.receipt;
    expect(await recoverTypedDataAddress({ ...receiptTypedData(body), signature: signature as `0x${string}` })).toBe(agent.address);
    expect(states.some((s) => s.activity === "earning")).toBe(true);
    const state = (await agent.getState()).ok ? states.at(-1) : undefined;
    expect(state?.activity).toBe("ready");
    expect(state?.lastJob?.completionTokens).toBe(4);
  });

  it("shows the balance from the coordinator and raises it on each credit", async () => {
    let state = await agent.getState();
    expect(state.ok && state.value.earnings).toMatchObject({ balanceMicroUsd: 50, todayMicroUsd: 7 });
    deliver({ v: 1, type: "credit", jobId: "j1", amountMicroUsd: 3, balanceMicroUsd: 53, todayMicroUsd: 10 });
    state = await agent.getState();
    expect(state.ok && state.value.earnings).toEqual({ balanceMicroUsd: 53, todayMicroUsd: 10, jobsServed: 1 });
  });

  it("turning Share off hands the running job back and refuses new ones", async () => {
    engine.words = Array.from({ length: 200 }, (_, i) => ` w${i}`);
    deliver(jobMessage("long", 200));
    await waitFor(() => sent.some((m) => m.type === "tokens"));
    await agent.setSharing(false);
    await waitFor(() => sent.some((m) => m.type === "failed"));
    const failed = sent.find((m) => m.type === "failed");
    expect(failed).toMatchObject({ jobId: "long", code: "node_yield", retryable: true });
    expect(sent.some((m) => m.type === "done")).toBe(false);
    expect(sent.some((m) => m.type === "status" && !m.status.sharing)).toBe(true);
    expect(status().sharing).toBe(false);
    expect(settings.get().sharing).toBe(false);
    deliver(jobMessage("next"));
    await waitFor(() => sent.some((m) => m.type === "failed" && m.jobId === "next"));
    const state = await agent.getState();
    expect(state.ok && state.value.activity).toBe("off");
    expect(state.ok && state.value.reason).toMatch(/Off/);
  });

  it("a consumer's cancel ends the job with a receipt for the tokens produced", async () => {
    engine.words = Array.from({ length: 200 }, (_, i) => ` w${i}`);
    deliver(jobMessage("c1", 200));
    await waitFor(() => sent.filter((m) => m.type === "tokens").length >= 2);
    deliver({ v: 1, type: "cancel", jobId: "c1", reason: "consumer went away" });
    await waitFor(() => sent.some((m) => m.type === "done"));
    const done = sent.find((m) => m.type === "done");
    const streamed = sent.filter((m) => m.type === "tokens").length;
    expect(done).toMatchObject({ finishReason: "cancelled", receipt: { completionTokens: streamed } });
  });

  it("refuses a second job while busy and a model it does not hold", async () => {
    engine.words = Array.from({ length: 50 }, (_, i) => ` w${i}`);
    deliver(jobMessage("a", 50));
    deliver(jobMessage("b"));
    deliver({ ...jobMessage("c"), model: "other" } as InboundMessage);
    await waitFor(() => sent.filter((m) => m.type === "failed").length === 2);
    expect(sent.find((m) => m.type === "failed" && m.jobId === "b")).toMatchObject({ code: "busy", retryable: true });
    expect(sent.find((m) => m.type === "failed" && m.jobId === "c")).toMatchObject({ code: "model_not_loaded" });
  });

  it("passes the worker's failure on with its code", async () => {
    engine.failWith = new InferenceError("context_length_exceeded", "prompt too long", false);
    deliver(jobMessage("x"));
    await waitFor(() => sent.some((m) => m.type === "failed"));
    expect(sent.find((m) => m.type === "failed")).toMatchObject({ code: "context_length_exceeded", retryable: false });
  });

  it("shows the connection state in the reason", async () => {
    connection(false, "connection closed (1006)");
    const state = await agent.getState();
    expect(state.ok && state.value).toMatchObject({ activity: "connecting", coordinator: { connected: false } });
    expect(state.ok && state.value.reason).toMatch(/1006/);
  });

  it("runs as many jobs at once as the engine's capacity, and refuses one more", async () => {
    await agent.stop();
    engine = new ScriptedEngine();
    engine.capacity = 2;
    engine.words = Array.from({ length: 20 }, (_, i) => ` w${i}`);
    const link = new FakeCoordinatorLink(true);
    ({ sent, deliver, status } = link);
    agent = new NodeAgent(await tinyAgentOptions(dir, { createEngine: () => engine, connect: link.connect }));
    await agent.start();
    expect(status().capacity).toBe(2);
    deliver(jobMessage("p1", 20));
    deliver(jobMessage("p2", 20));
    deliver(jobMessage("p3", 20));
    await waitFor(() => sent.filter((m) => m.type === "done").length === 2);
    expect(sent.find((m) => m.type === "failed")).toMatchObject({ jobId: "p3", code: "busy" });
    const firstDone = sent.findIndex((m) => m.type === "done");
    const tokensBefore = new Set(sent.slice(0, firstDone).filter((m) => m.type === "tokens").map((m) => (m.type === "tokens" ? m.jobId : "")));
    expect(tokensBefore).toEqual(new Set(["p1", "p2"]));
  });
});

describe("node agent without a sandbox", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "offpeak-agent-nosandbox-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses to start the worker unless the owner allows it, then warns everywhere the state shows", async () => {
    const engine = new ScriptedEngine();
    let starts = 0;
    const { status, connect } = new FakeCoordinatorLink(true);
    const agent = new NodeAgent(
      await tinyAgentOptions(dir, {
        createEngine: (_model, sandboxed) => {
          starts++;
          expect(sandboxed).toBe(false);
          return engine;
        },
        sandbox: { kind: "none", active: false, detail: "bubblewrap is not installed" },
        connect,
      }),
    );
    await agent.start();
    let state = await agent.getState();
    expect(starts).toBe(0);
    expect(state.ok && state.value.activity).toBe("error");
    expect(state.ok && state.value.reason).toMatch(/cannot be sandboxed here \(bubblewrap is not installed\).*Run without sandbox/);
    expect(status().sharing).toBe(false);

    await agent.updateSettings({ allowUnsandboxed: true });
    for (let i = 0; i < 100 && !(await agent.getState().then((s) => s.ok && s.value.activity === "ready")); i++) await new Promise((r) => setTimeout(r, 10));
    state = await agent.getState();
    expect(starts).toBe(1);
    expect(state.ok && state.value.activity).toBe("ready");
    expect(state.ok && state.value.warnings).toEqual([UNSANDBOXED_WARNING]);
    expect(status().sharing).toBe(true);
    await agent.stop();
  });
});

describe("node agent in a partial sandbox (Windows job object)", () => {
  it("serves, and warns that files and network are not contained", async () => {
    const dir = await mkdtemp(join(tmpdir(), "offpeak-agent-partial-"));
    const agent = new NodeAgent(
      await tinyAgentOptions(dir, {
        sandbox: { kind: "job-object", active: true, detail: "job object: memory capped at 14 GB" },
        connect: new FakeCoordinatorLink(true).connect,
      }),
    );
    try {
      await agent.start();
      const state = await agent.getState();
      expect(state.ok && state.value.activity).toBe("ready");
      expect(state.ok && state.value.warnings).toEqual([PARTIAL_SANDBOX_WARNING]);
    } finally {
      await agent.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
