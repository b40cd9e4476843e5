/**
 * WorkerSupervisor's capacity and lifetime against scripted stand-in workers with virtual
 * timers: parallel jobs, a crash failing every running job, idle unload and reload on demand,
 * quarantine and lifting it, and a job that hangs before its first token.
 */
import { describe, expect, it } from "vitest";
import type { AgentToWorkerMessage } from "../../shared/worker-protocol";
import { flush, job, never, setup, type FakeWorker } from "./worker-fakes.fixture";

type Generate = Extract<AgentToWorkerMessage, { type: "generate" }>;

/** Collects the generate messages a worker receives, without answering them. */
function holdJobs(worker: FakeWorker): Generate[] {
  const held: Generate[] = [];
  const previous = worker.onSend;
  worker.onSend = (message, w) => {
    if (message.type === "generate") held.push(message);
    else previous(message, w);
  };
  return held;
}

describe("WorkerSupervisor capacity", () => {
  it("runs up to `sequences` jobs at once, advertises them as capacity, and refuses one more as busy", async () => {
    const { spawner, supervisor } = setup({ sequences: 2 });
    const info = await supervisor.start();
    expect(info.capacity).toBe(2);
    expect(supervisor.capacity).toBe(2);
    expect(spawner.last.sent[0]).toMatchObject({ type: "load", sequences: 2 });
    const held = holdJobs(spawner.last);
    const streams: Record<string, string[]> = { a: [], b: [] };
    const a = supervisor.generate(job("a"), (text) => streams.a!.push(text), never);
    const b = supervisor.generate(job("b"), (text) => streams.b!.push(text), never);
    await flush();
    expect(held.map((m) => m.jobId)).toEqual(["a", "b"]);
    await expect(supervisor.generate(job("c"), () => {}, never)).rejects.toMatchObject({ code: "busy", retryable: true, message: expect.stringContaining("2 jobs") });

    // Output of the two jobs arrives interleaved and goes to the right caller.
    const worker = spawner.last;
    worker.say({ type: "tokens", jobId: "a", text: "A1", count: 1 });
    worker.say({ type: "tokens", jobId: "b", text: "B1", count: 1 });
    worker.say({ type: "tokens", jobId: "a", text: "A2", count: 1 });
    worker.say({ type: "done", jobId: "b", finishReason: "length", promptTokens: 1, completionTokens: 1, text: "B1" });
    await expect(b).resolves.toMatchObject({ text: "B1" });
    // A finished job frees its place at once.
    const c = supervisor.generate(job("c"), () => {}, never);
    await flush();
    expect(held.map((m) => m.jobId)).toEqual(["a", "b", "c"]);
    worker.say({ type: "done", jobId: "a", finishReason: "length", promptTokens: 1, completionTokens: 2, text: "A1A2" });
    worker.say({ type: "done", jobId: "c", finishReason: "stop", promptTokens: 1, completionTokens: 0, text: "" });
    await expect(a).resolves.toMatchObject({ text: "A1A2" });
    await expect(c).resolves.toMatchObject({ finishReason: "stop" });
    expect(streams).toEqual({ a: ["A1", "A2"], b: ["B1"] });
  });

  it("fails every running job with worker_crashed when the worker crashes", async () => {
    const { spawner, supervisor, timers } = setup({ sequences: 3 });
    await supervisor.start();
    holdJobs(spawner.last);
    const running = ["x", "y", "z"].map((id) => supervisor.generate(job(id), () => {}, never));
    await flush();
    spawner.last.exit(null, "SIGSEGV");
    for (const result of running) await expect(result).rejects.toMatchObject({ code: "worker_crashed", retryable: true });
    await timers.advance(500);
    expect(supervisor.state.kind).toBe("ready");
    expect(spawner.workers).toHaveLength(2);
  });

  it("refuses a second job with the id of a running one", async () => {
    const { spawner, supervisor } = setup({ sequences: 2 });
    await supervisor.start();
    holdJobs(spawner.last);
    void supervisor.generate(job("same"), () => {}, never).catch(() => undefined);
    await expect(supervisor.generate(job("same"), () => {}, never)).rejects.toMatchObject({ code: "invalid_request" });
  });
});

describe("WorkerSupervisor idle unload", () => {
  it("stops the worker after idleUnloadMs without a job, and loads the model again for the next job", async () => {
    const { spawner, supervisor, timers, states } = setup({ idleUnloadMs: 60_000 });
    await supervisor.start();
    // A job in between restarts the idle clock.
    await timers.advance(50_000);
    spawner.last.onSend = (message, worker) => {
      if (message.type === "generate") worker.say({ type: "done", jobId: message.jobId, finishReason: "stop", promptTokens: 1, completionTokens: 0, text: "" });
      if (message.type === "shutdown") worker.exit(0, null);
    };
    await supervisor.generate(job("early"), () => {}, never);
    await timers.advance(59_999);
    expect(spawner.last.exited).toBe(false);
    await timers.advance(1);
    expect(spawner.last.sent.at(-1)).toMatchObject({ type: "shutdown" });
    expect(spawner.last.exited).toBe(true);
    expect(supervisor.state).toEqual({
      kind: "unloaded",
      reason: "Unloaded after 1 minute without jobs, to free memory; the model loads again with the next job",
    });
    expect(supervisor.workerPid).toBeUndefined();

    // The next job starts a worker, waits for the load, then runs.
    let answered = false;
    spawner.configure = (worker) => {
      const load = worker.onSend;
      worker.onSend = (message, w) => {
        if (message.type === "generate") {
          answered = true;
          w.say({ type: "done", jobId: message.jobId, finishReason: "length", promptTokens: 1, completionTokens: 1, text: "again" });
        } else load(message, w);
      };
    };
    await expect(supervisor.generate(job("later"), () => {}, never)).resolves.toMatchObject({ text: "again" });
    expect(answered).toBe(true);
    expect(spawner.workers).toHaveLength(2);
    expect(states.slice(-3).map((s) => s.kind)).toEqual(["unloaded", "starting", "ready"]);
    // And it unloads again once idle.
    await timers.advance(60_000);
    expect(supervisor.state.kind).toBe("unloaded");
  });

  it("never unloads while a job runs", async () => {
    const { spawner, supervisor, timers } = setup({ idleUnloadMs: 1000 });
    await supervisor.start();
    holdJobs(spawner.last);
    const running = supervisor.generate(job("long"), () => {}, never);
    await timers.advance(5000);
    spawner.last.say({ type: "tokens", jobId: "long", text: "t", count: 1 });
    await timers.advance(5000);
    expect(supervisor.state.kind).toBe("ready");
    spawner.last.say({ type: "done", jobId: "long", finishReason: "stop", promptTokens: 1, completionTokens: 1, text: "t" });
    await expect(running).resolves.toMatchObject({ text: "t" });
    await timers.advance(1000);
    expect(supervisor.state.kind).toBe("unloaded");
  });

  it("rejects the waiting job with model_not_loaded when the reload fails, and tries again with the next job", async () => {
    const { spawner, supervisor } = setup();
    await supervisor.start();
    await supervisor.unload();
    expect(supervisor.state).toMatchObject({ kind: "unloaded", reason: expect.stringContaining("free memory") });
    spawner.configure = (worker) => {
      worker.onSend = (message) => {
        if (message.type === "load") worker.say({ type: "load-failed", message: "Cannot load model file /models/m.gguf: out of memory" });
      };
    };
    await expect(supervisor.generate(job("j"), () => {}, never)).rejects.toMatchObject({ code: "model_not_loaded", message: expect.stringContaining("out of memory") });
    expect(supervisor.state).toMatchObject({ kind: "unloaded", reason: expect.stringContaining("could not be loaded again") });
    spawner.configure = () => {};
    spawner.announce = true;
    const next = supervisor.generate(job("k"), () => {}, never);
    await flush();
    spawner.last.say({ type: "done", jobId: "k", finishReason: "stop", promptTokens: 1, completionTokens: 0, text: "" });
    await expect(next).resolves.toMatchObject({ finishReason: "stop" });
    expect(spawner.workers).toHaveLength(3);
  });

  it("unload() ends running jobs as node_yield, and stop() after it leaves the engine stopped", async () => {
    const { spawner, supervisor } = setup({ sequences: 2 });
    await supervisor.start();
    holdJobs(spawner.last);
    const running = supervisor.generate(job("a"), () => {}, never);
    await flush();
    await supervisor.unload();
    await expect(running).rejects.toMatchObject({ code: "node_yield", retryable: true });
    expect(supervisor.state.kind).toBe("unloaded");
    await supervisor.stop();
    expect(supervisor.state.kind).toBe("stopped");
    await expect(supervisor.generate(job("b"), () => {}, never)).rejects.toMatchObject({ code: "model_not_loaded" });
    expect(spawner.workers).toHaveLength(1);
  });
});

describe("WorkerSupervisor quarantine", () => {
  it("quarantines after 3 crashes in 5 minutes by default, names model, backend and last cause, and lifts it on reset", async () => {
    const { spawner, supervisor, timers, states } = setup({ restartBaseDelayMs: 1000 });
    await supervisor.start();
    spawner.last.exit(null, "SIGSEGV");
    await timers.advance(60_000);
    spawner.last.exit(1, null);
    // Crashes older than the window are forgotten: this one is the second in the window.
    await timers.advance(250_000);
    spawner.last.exit(null, "SIGBUS");
    expect(supervisor.state.kind).toBe("restarting");
    await timers.advance(10_000);
    spawner.last.exit(null, "SIGSEGV");
    expect(states.at(-1)).toEqual({
      kind: "quarantined",
      reason: "Quarantined: the worker crashed 3 times in 5 minutes running Model M on cpu (last: exit signal SIGSEGV)",
    });
    await timers.advance(600_000);
    expect(spawner.workers).toHaveLength(4);
    await expect(supervisor.generate(job("refused"), () => {}, never)).rejects.toMatchObject({ code: "model_not_loaded", message: expect.stringContaining("Quarantined") });

    supervisor.resetQuarantine();
    expect(supervisor.state.kind).toBe("unloaded");
    const next = supervisor.generate(job("after"), () => {}, never);
    await flush();
    expect(spawner.workers).toHaveLength(5);
    spawner.last.say({ type: "done", jobId: "after", finishReason: "stop", promptTokens: 1, completionTokens: 0, text: "" });
    await expect(next).resolves.toMatchObject({ finishReason: "stop" });
  });

  it("counts failed restarts, and says so when the model crashes while loading", async () => {
    const { spawner, supervisor, timers } = setup({ restartBaseDelayMs: 100 });
    await supervisor.start();
    spawner.configure = (worker) => {
      worker.onSend = (message) => {
        if (message.type === "load") worker.exit(null, "SIGILL");
      };
    };
    spawner.last.exit(null, "SIGSEGV");
    await timers.advance(10_000);
    expect(spawner.workers).toHaveLength(3);
    expect(supervisor.state).toEqual({
      kind: "quarantined",
      reason: "Quarantined: the worker crashed 3 times in 5 minutes loading Model M on cpu (last: exit signal SIGILL)",
    });
  });
});

describe("WorkerSupervisor hang detection", () => {
  it("gives a job longer for its first token than between tokens, then kills the hung worker", async () => {
    const { spawner, supervisor, timers } = setup({ stallTimeoutMs: 10_000, firstTokenTimeoutMs: 90_000 });
    await supervisor.start();
    const hung = spawner.last;
    holdJobs(hung);
    const running = supervisor.generate(job("slow-prompt"), () => {}, never);
    running.catch(() => undefined);
    await timers.advance(89_999);
    expect(hung.kills).toEqual([]);
    await timers.advance(1);
    expect(hung.kills).toEqual(["SIGKILL"]);
    await expect(running).rejects.toMatchObject({ code: "worker_crashed", message: expect.stringContaining("no first token within 90 s") });
    await timers.advance(1000);
    expect(spawner.workers).toHaveLength(2);
    expect(supervisor.state.kind).toBe("ready");
  });
});
