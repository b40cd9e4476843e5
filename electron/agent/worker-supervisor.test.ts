/**
 * WorkerSupervisor's process management against a scripted stand-in worker, with virtual
 * timers: handshake, timeouts, crash restarts with backoff, quarantine, hang detection, stop.
 */
import { describe, expect, it } from "vitest";
import { flush, hardware, job, never, setup } from "./worker-fakes.fixture";

describe("WorkerSupervisor", () => {
  it("starts with a ready handshake and a load, and advertises the model", async () => {
    const { spawner, supervisor, states } = setup();
    const info = await supervisor.start();
    expect(info).toEqual({ model: { id: "m", label: "Model M", contextSize: 512, demo: false }, hardware, capacity: 1 });
    expect(spawner.last.sent[0]).toMatchObject({ type: "load", modelPath: "/models/m.gguf", contextSize: 2048, threads: 3, gpu: false, sequences: 1 });
    expect(states.map((s) => s.kind)).toEqual(["starting", "ready"]);
  });

  it("relays token batches and resolves with the worker's result; cancels through the worker", async () => {
    const { spawner, supervisor } = setup();
    await supervisor.start();
    spawner.last.onSend = (message, worker) => {
      if (message.type === "generate") {
        worker.say({ type: "tokens", jobId: "other", text: "nope", count: 1 });
        worker.say({ type: "tokens", jobId: message.jobId, text: "Hel", count: 1 });
      }
      if (message.type === "cancel") {
        worker.say({ type: "tokens", jobId: message.jobId, text: "lo", count: 1 });
        worker.say({ type: "done", jobId: message.jobId, finishReason: "cancelled", promptTokens: 2, completionTokens: 2, text: "Hello" });
      }
    };
    const controller = new AbortController();
    const batches: string[] = [];
    const result = supervisor.generate(job("j1"), (text) => {
      batches.push(text);
      controller.abort();
    }, controller.signal);
    await expect(result).resolves.toEqual({ finishReason: "cancelled", promptTokens: 2, completionTokens: 2, text: "Hello" });
    expect(batches).toEqual(["Hel", "lo"]);
  });

  it("maps a worker failure to an InferenceError and refuses a second concurrent job", async () => {
    const { spawner, supervisor } = setup();
    await supervisor.start();
    let answer: () => void = () => {};
    spawner.last.onSend = (message, worker) => {
      if (message.type === "generate") answer = () => worker.say({ type: "failed", jobId: message.jobId, code: "context_length_exceeded", message: "too long", retryable: false });
    };
    const first = supervisor.generate(job("a"), () => {}, never);
    await flush();
    await expect(supervisor.generate(job("b"), () => {}, never)).rejects.toMatchObject({ name: "InferenceError", code: "busy", retryable: true });
    answer();
    await expect(first).rejects.toMatchObject({ code: "context_length_exceeded", message: "too long", retryable: false });
  });

  it("rejects start() with the worker's load error and does not restart", async () => {
    const { spawner, supervisor, states } = setup();
    spawner.configure = (worker) => {
      worker.onSend = (message) => {
        if (message.type === "load") worker.say({ type: "load-failed", message: "Cannot load model file /models/m.gguf: bad magic" });
      };
    };
    await expect(supervisor.start()).rejects.toThrow("Cannot load model file /models/m.gguf");
    expect(states.at(-1)).toEqual({ kind: "failed", reason: "Cannot load model file /models/m.gguf: bad magic" });
    expect(spawner.workers).toHaveLength(1);
    expect(spawner.last.exited).toBe(true);
  });

  it("gives up on a worker that never says ready", async () => {
    const { spawner, supervisor, timers } = setup({ readyTimeoutMs: 5000 });
    spawner.announce = false;
    const started = supervisor.start();
    started.catch(() => undefined);
    await timers.advance(4999);
    expect(spawner.last.exited).toBe(false);
    await timers.advance(1);
    await expect(started).rejects.toThrow("did not start within 5000 ms");
    expect(spawner.last.kills).toEqual(["SIGKILL"]);
  });

  it("restarts a crashed worker with growing delays and quarantines it after repeated crashes", async () => {
    const { spawner, supervisor, timers, states } = setup({ restartBaseDelayMs: 1000, maxCrashes: 3, crashWindowMs: 60_000 });
    await supervisor.start();
    const running = supervisor.generate(job("j"), () => {}, never);
    await flush();
    spawner.last.exit(null, "SIGSEGV");
    await expect(running).rejects.toMatchObject({ code: "worker_crashed", retryable: true, message: expect.stringContaining("SIGSEGV") });
    // random() = 0 gives the lower half of the jitter range: 500 ms, then 1000 ms.
    expect(states.slice(-2)).toEqual([
      { kind: "crashed", reason: "The inference worker was killed by SIGSEGV" },
      { kind: "restarting", reason: "The inference worker was killed by SIGSEGV", attempt: 1, delayMs: 500 },
    ]);
    await timers.advance(499);
    expect(spawner.workers).toHaveLength(1);
    await timers.advance(1);
    expect(spawner.workers).toHaveLength(2);
    expect(supervisor.state.kind).toBe("ready");

    spawner.last.exit(1, null);
    expect(states.at(-1)).toMatchObject({ kind: "restarting", attempt: 2, delayMs: 1000 });
    // A job sent while restarting waits for the new worker.
    const waiting = supervisor.generate(job("waits"), () => {}, never);
    await timers.advance(1000);
    expect(spawner.workers).toHaveLength(3);
    spawner.last.say({ type: "done", jobId: "waits", finishReason: "stop", promptTokens: 1, completionTokens: 1, text: "x" });
    await expect(waiting).resolves.toMatchObject({ text: "x" });

    spawner.last.exit(null, "SIGSEGV");
    expect(states.at(-1)).toEqual({
      kind: "quarantined",
      reason: "Quarantined: the worker crashed 3 times in 1 minute running Model M on cpu (last: exit signal SIGSEGV)",
    });
    await timers.advance(120_000);
    expect(spawner.workers).toHaveLength(3);
    await expect(supervisor.generate(job("late"), () => {}, never)).rejects.toMatchObject({ code: "model_not_loaded", message: expect.stringContaining("Quarantined") });
  });

  it("kills and replaces a worker that stops producing output", async () => {
    const { spawner, supervisor, timers } = setup({ stallTimeoutMs: 10_000 });
    await supervisor.start();
    const hung = spawner.last;
    const running = supervisor.generate(job("slow"), () => {}, never);
    running.catch(() => undefined);
    await timers.advance(6000);
    hung.say({ type: "tokens", jobId: "slow", text: "a", count: 1 });
    await timers.advance(6000);
    expect(hung.kills).toEqual([]);
    await timers.advance(4000);
    expect(hung.kills).toEqual(["SIGKILL"]);
    await expect(running).rejects.toMatchObject({ code: "worker_crashed", message: expect.stringContaining("stopped responding") });
    await timers.advance(1000);
    expect(spawner.workers).toHaveLength(2);
    expect(supervisor.state.kind).toBe("ready");
  });

  it("logs and ignores invalid messages from the worker", async () => {
    const { spawner, supervisor, logger } = setup();
    await supervisor.start();
    spawner.last.raw("garbage");
    spawner.last.raw({ v: 1, type: "tokens", jobId: "x", text: "t", count: 0 });
    expect(logger.lines.filter((l) => l.includes("invalid message"))).toHaveLength(2);
    expect(supervisor.state.kind).toBe("ready");
  });

  it("seals each worker's containment once, after its model is loaded and before it is ready or given a job", async () => {
    const { spawner, supervisor, timers, states } = setup({ restartBaseDelayMs: 1000 });
    const events: string[] = [];
    spawner.configure = (worker) => {
      worker.seal = () => events.push(`seal ${worker.pid} (loaded: ${worker.sent.some((m) => m.type === "load")}, state: ${supervisor.state.kind})`);
      worker.onSend = (message) => {
        events.push(`${message.type} ${worker.pid}`);
        if (message.type === "load") worker.say({ type: "loaded", model: { name: "m", contextSize: 512, trainContextSize: 512 }, hardware });
        if (message.type === "generate") worker.say({ type: "done", jobId: message.jobId, finishReason: "stop", promptTokens: 1, completionTokens: 1, text: "x" });
      };
    };
    const started = supervisor.start();
    // A job that arrives while the model loads waits for the seal.
    const early = supervisor.generate(job("early"), () => {}, never);
    await started;
    await expect(early).resolves.toMatchObject({ text: "x" });
    await expect(supervisor.generate(job("later"), () => {}, never)).resolves.toMatchObject({ text: "x" });
    expect(events).toEqual(["load 1000", "seal 1000 (loaded: true, state: starting)", "generate 1000", "generate 1000"]);
    expect(states.map((s) => s.kind)).toEqual(["starting", "ready"]);

    // A restarted worker is a new process: it is sealed again before it serves.
    spawner.last.exit(null, "SIGSEGV");
    await timers.advance(1000);
    expect(supervisor.state.kind).toBe("ready");
    expect(events.slice(4)).toEqual(["load 1001", "seal 1001 (loaded: true, state: starting)"]);
  });

  it("fails the start, stops the worker and logs why when its containment cannot be sealed, and never gives it a job", async () => {
    const { spawner, supervisor, states, logger } = setup();
    spawner.configure = (worker) => {
      worker.seal = () => {
        throw new Error("SetInformationJobObject failed limiting the worker to one process: Windows error 5 (access denied)");
      };
    };
    const started = supervisor.start();
    const waiting = supervisor.generate(job("waits"), () => {}, never);
    await expect(started).rejects.toThrow("could not be contained once its model was loaded: SetInformationJobObject failed");
    await expect(waiting).rejects.toMatchObject({ code: "model_not_loaded", retryable: true });
    expect(spawner.last.kills).toEqual(["SIGKILL"]);
    expect(spawner.last.sent.map((m) => m.type)).toEqual(["load"]);
    expect(states.at(-1)).toMatchObject({ kind: "failed", reason: expect.stringContaining("Windows error 5") });
    expect(states.some((s) => s.kind === "ready")).toBe(false);
    expect(logger.lines.some((line) => line.includes("could not be sealed") && line.includes("Windows error 5"))).toBe(true);
  });

  it("stops gracefully, and kills a worker that does not exit in time", async () => {
    const graceful = setup();
    await graceful.supervisor.start();
    await graceful.supervisor.stop();
    expect(graceful.spawner.last.sent.at(-1)).toMatchObject({ type: "shutdown" });
    expect(graceful.spawner.last.kills).toEqual([]);
    expect(graceful.supervisor.state.kind).toBe("stopped");

    const stubborn = setup({ stopTimeoutMs: 2000 });
    await stubborn.supervisor.start();
    stubborn.spawner.last.onSend = () => {};
    const stopping = stubborn.supervisor.stop();
    await stubborn.timers.advance(1999);
    expect(stubborn.spawner.last.kills).toEqual([]);
    await stubborn.timers.advance(1);
    await stopping;
    expect(stubborn.spawner.last.kills).toEqual(["SIGKILL"]);
    expect(stubborn.spawner.workers).toHaveLength(1);
  });
});
