/**
 * The node agent under the owner's sharing rules, driven by a sharing monitor over a fake signal
 * sampler: a game hands the running job back at once, a pause and a resume, the GPU freed on
 * request, and "why am I not getting jobs".
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../shared/logger";
import type { NodeStatus } from "../../shared/protocol";
import type { SignalAvailability, Signals } from "../../shared/sharing-types";
import { FakeCoordinatorLink, jobMessage, ScriptedEngine, tinyAgentOptions, waitFor } from "./agent-fakes.fixture";
import type { InboundMessage, OutgoingNodeMessage } from "./coordinator-client";
import { NodeAgent } from "./node-agent";
import { unknownSignals } from "./node-state";
import { MemorySettingsStore } from "./settings-store";
import { SharingMonitor } from "./sharing-monitor";
import type { SignalSampler } from "./signals/signal-sampler";

const AVAILABLE: SignalAvailability = { idle: true, battery: true, thermal: false, processes: true, fullscreen: false, gpu: false, memory: true };

/** A sampler whose signals the test sets. */
class FakeSampler implements SignalSampler {
  signals: Signals = { ...unknownSignals(Date.now()), timeZone: "UTC", processesKnown: true, idleSeconds: 0, onBattery: false };
  samples = 0;
  async sample(): Promise<Signals> {
    this.samples++;
    return { ...this.signals, now: Date.now() };
  }
  availability(): SignalAvailability {
    return AVAILABLE;
  }
}

const CYBERPUNK = { name: "Cyberpunk 2077", source: "steam" as const };

describe("node agent under the sharing rules", () => {
  let dir: string;
  let sent: OutgoingNodeMessage[];
  let deliver: (m: InboundMessage) => void;
  let connection: (connected: boolean, reason: string) => void;
  let status: () => NodeStatus;
  let engine: ScriptedEngine;
  let agent: NodeAgent;
  let settings: MemorySettingsStore;
  let sampler: FakeSampler;
  let monitor: SharingMonitor;
  const state = async () => {
    const s = await agent.getState();
    if (!s.ok) throw new Error(s.error);
    return s.value;
  };
  const statuses = () => sent.filter((m): m is Extract<OutgoingNodeMessage, { type: "status" }> => m.type === "status").map((m) => m.status);

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "offpeak-agent-rules-"));
    engine = new ScriptedEngine();
    engine.words = Array.from({ length: 400 }, (_, i) => ` w${i}`);
    settings = new MemorySettingsStore();
    sampler = new FakeSampler();
    const link = new FakeCoordinatorLink();
    ({ sent, deliver, connection, status } = link);
    agent = new NodeAgent(await tinyAgentOptions(dir, { createEngine: () => engine, settings, connect: link.connect }));
    // A long interval: the test decides when to sample, with poke().
    monitor = new SharingMonitor({
      sampler,
      rules: () => settings.get().rules,
      onRulesChange: (listener) => settings.onChange(listener),
      target: agent,
      logger: silentLogger,
      intervalMs: 60_000,
    });
    await monitor.start();
    await agent.start();
    connection(true, "connected");
  });
  afterEach(async () => {
    await monitor.stop();
    await agent.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("knows the rules' answer before the first sample", async () => {
    // Never started: the rules' answer is there before any sample or connection.
    const fresh = new NodeAgent(await tinyAgentOptions(dir, { connect: new FakeCoordinatorLink().connect }));
    const s = await fresh.getState();
    expect(s.ok && s.value.decision).toEqual({ share: true, reason: "Sharing: always on", nextChangeAt: null, pausedByOwner: false });
    expect(s.ok && s.value.signals.latest).toBeNull();
    expect(sampler.samples).toBe(1);
    expect((await state()).signals).toMatchObject({ latest: { processesKnown: true }, available: AVAILABLE });
  });

  it("a game hands the running job back at once, refuses new ones, and serves again when it quits", async () => {
    deliver(jobMessage("long", 400));
    await waitFor(() => sent.some((m) => m.type === "tokens"));
    sampler.signals = { ...sampler.signals, game: CYBERPUNK };
    await monitor.poke();
    // Within the same sample: the job's generation is aborted and the coordinator told.
    expect(engine.jobSignals[0]?.aborted).toBe(true);
    expect(statuses().at(-1)).toMatchObject({ sharing: false, reason: "Paused: Steam game running (Cyberpunk 2077)" });
    expect(status().sharing).toBe(false);
    expect(await state()).toMatchObject({ activity: "paused", reason: "Paused: Steam game running (Cyberpunk 2077)", decision: { share: false } });
    await waitFor(() => sent.some((m) => m.type === "failed" && m.jobId === "long"));
    expect(sent.find((m) => m.type === "failed")).toMatchObject({ jobId: "long", code: "node_yield", retryable: true });
    expect(sent.some((m) => m.type === "done")).toBe(false);

    deliver(jobMessage("during-game"));
    expect(sent.find((m) => m.type === "failed" && m.jobId === "during-game")).toMatchObject({ code: "node_yield", retryable: true });
    expect(engine.jobSignals).toHaveLength(1);

    sampler.signals = { ...sampler.signals, game: null };
    await monitor.poke();
    expect(status().sharing).toBe(true);
    expect(statuses().at(-1)?.sharing).toBe(true);
    expect((await state()).activity).toBe("ready");
    engine.words = ["Once", " upon"];
    deliver(jobMessage("after-game", 2));
    await waitFor(() => sent.some((m) => m.type === "done" && m.jobId === "after-game"));
  });

  it("the Share switch stays the owner's: off wins over rules that allow sharing", async () => {
    await agent.setSharing(false);
    await monitor.poke();
    expect(await state()).toMatchObject({ activity: "off", decision: { share: true } });
    expect(status().sharing).toBe(false);
  });

  it("pauses until a time and resumes: the job goes back, the reason says until when", async () => {
    deliver(jobMessage("long", 400));
    await waitFor(() => sent.some((m) => m.type === "tokens"));
    const until = Date.now() + 3_600_000;
    const paused = await agent.pause(until);
    if (!paused.ok) throw new Error(paused.error);
    expect(paused.value).toMatchObject({ activity: "paused", decision: { share: false, nextChangeAt: until, pausedByOwner: true } });
    expect(paused.value.reason).toMatch(/^Paused until /);
    expect(settings.get().rules.pausedUntil).toBe(until);
    expect(engine.jobSignals[0]?.aborted).toBe(true);
    expect(status().sharing).toBe(false);
    await waitFor(() => sent.some((m) => m.type === "failed" && m.jobId === "long"));

    const resumed = await agent.resume();
    if (!resumed.ok) throw new Error(resumed.error);
    expect(resumed.value).toMatchObject({ activity: "ready", decision: { share: true } });
    expect(settings.get().rules.pausedUntil).toBeNull();
    expect(status().sharing).toBe(true);
  });

  it("refuses a pause that ends in the past or more than 7 days away", async () => {
    expect(await agent.pause(Date.now() - 1000)).toEqual({ ok: false, error: "the end of the pause must be in the future" });
    expect(await agent.pause(Date.now() + 8 * 24 * 3_600_000)).toEqual({ ok: false, error: "a pause can last at most 7 days" });
    expect(settings.get().rules.pausedUntil).toBeNull();
    expect((await state()).activity).toBe("ready");
  });

  it("unloads the model when paused only if the owner asked to free the GPU", async () => {
    sampler.signals = { ...sampler.signals, game: CYBERPUNK };
    await monitor.poke();
    expect(engine.unloads).toBe(0);
    sampler.signals = { ...sampler.signals, game: null };
    await monitor.poke();
    settings.update({ rules: { ...settings.get().rules, freeGpuWhenPaused: true } });
    sampler.signals = { ...sampler.signals, game: CYBERPUNK };
    await monitor.poke();
    expect(engine.unloads).toBe(1);
    await monitor.poke();
    expect(engine.unloads).toBe(1);
  });

  it("asks the coordinator how it sees this node, and says so when it cannot", async () => {
    const asked = agent.getDiagnostics();
    const request = sent.find((m) => m.type === "diagnose");
    if (request?.type !== "diagnose") throw new Error("no diagnose sent");
    const view = { seenSharing: true, jobsLastHour: 0, servedLastHour: 0, otherNodes: 2, queued: 0, notes: ["No demand for tiny in the last hour", "2 other nodes serve tiny"] };
    deliver({ v: 1, type: "diagnosis", requestId: request.requestId, view });
    expect(await asked).toEqual({ ok: true, value: { node: { share: true, reason: "Ready: waiting for jobs" }, coordinator: { connected: true, ...view } } });

    const refused = agent.getDiagnostics();
    const second = sent.filter((m) => m.type === "diagnose").at(-1);
    if (second?.type !== "diagnose") throw new Error("no diagnose sent");
    deliver({ v: 1, type: "error", code: "unsupported", message: "no", ref: second.requestId });
    expect(await refused).toMatchObject({ ok: true, value: { coordinator: null } });

    await agent.pause(Date.now() + 60_000);
    connection(false, "connection closed (1006)");
    const offline = await agent.getDiagnostics();
    expect(offline.ok && offline.value.node.share).toBe(false);
    expect(offline.ok && offline.value.node.reason).toMatch(/^Paused until/);
    expect(offline.ok && offline.value.coordinator).toBeNull();
  });
});
