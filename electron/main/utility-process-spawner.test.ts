/**
 * The Electron utility-process spawner against the fake `electron` module: how it forks,
 * messages both ways, exit and kill mapping, and a whole supervised job through the worker's
 * own `parentPort` channel and service.
 */
import { EventEmitter } from "node:events";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Logger } from "../../shared/logger";
import type { Hardware } from "../../shared/protocol";
import { agentToWorkerMessage } from "../../shared/worker-protocol";
import { createFakeElectron, type FakeElectron, type FakeUtilityProcess } from "../../tests/fake-electron/electron";
import { WorkerSupervisor } from "../agent/worker-supervisor";
import { openWorkerChannel } from "../worker/worker-channel";
import { WorkerService, type ServiceGenerator } from "../worker/worker-service";
import type { UtilityProcessSpawner as Spawner } from "./utility-process-spawner";

let fake: FakeElectron;
let UtilityProcessSpawner: typeof Spawner;

beforeEach(async () => {
  fake = createFakeElectron();
  vi.resetModules();
  vi.doMock("electron", () => fake.module);
  ({ UtilityProcessSpawner } = await import("./utility-process-spawner"));
});

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const push = (message: string) => void lines.push(message);
  return { lines, debug: push, info: push, warn: push, error: push };
}

const child = (): FakeUtilityProcess => fake.utilityProcesses.at(-1)!;

describe("UtilityProcessSpawner", () => {
  it("forks the worker entry as a named utility process with piped output and a scrubbed environment", () => {
    new UtilityProcessSpawner({
      entry: "/app/worker.js",
      execArgv: [],
      cwd: "/app",
      home: "/data/worker-home",
      env: { PATH: "/usr/bin", HOME: "/home/owner", OFFPEAK_ADMIN_TOKEN: "secret", LANG: "C" },
    }).spawn();
    expect(fake.utilityProcesses).toHaveLength(1);
    expect(child().modulePath).toBe("/app/worker.js");
    expect(child().options).toEqual({
      serviceName: "Offpeak inference worker",
      env: { PATH: "/usr/bin", HOME: "/data/worker-home", LANG: "C" },
      execArgv: [],
      cwd: "/app",
      stdio: "pipe",
    });
  });

  it("carries messages both ways and logs the worker's output lines with its pid", async () => {
    const logger = recordingLogger();
    const handle = new UtilityProcessSpawner({ logger }).spawn();
    expect(handle.pid).toBe(child().pid);
    const received: unknown[] = [];
    handle.onMessage((message) => received.push(message));
    handle.send(agentToWorkerMessage({ type: "cancel", jobId: "j1" }));
    expect(child().received).toEqual([{ v: 1, type: "cancel", jobId: "j1" }]);
    child().fromChild({ v: 1, type: "ready", pid: 7 });
    expect(received).toEqual([{ v: 1, type: "ready", pid: 7 }]);
    child().stderr.write("warning: slow disk\n");
    await new Promise((resolve) => setImmediate(resolve));
    expect(logger.lines).toContain(`worker ${handle.pid}: warning: slow disk`);
  });

  it("reports the exit code once, to late listeners too, and drops messages after exit", () => {
    const handle = new UtilityProcessSpawner().spawn();
    const exits: [number | null, string | null][] = [];
    handle.onExit((code, signal) => exits.push([code, signal]));
    child().exitChild(3);
    child().emit("exit", 4);
    handle.onExit((code, signal) => exits.push([code, signal]));
    expect(exits).toEqual([
      [3, null],
      [3, null],
    ]);
    expect(() => handle.send(agentToWorkerMessage({ type: "shutdown" }))).not.toThrow();
    expect(child().received).toEqual([]);
  });

  it("kills with Electron's kill for SIGTERM and with a real signal for SIGKILL, and reports the signal", () => {
    const signals: [number, string][] = [];
    const spawner = new UtilityProcessSpawner({ signalProcess: (pid, signal) => void signals.push([pid, signal]) });
    const gentle = spawner.spawn();
    let exit: [number | null, string | null] | null = null;
    gentle.onExit((code, signal) => (exit = [code, signal]));
    gentle.kill();
    expect(child().killCalls).toBe(1);
    expect(exit).toEqual([143, "SIGTERM"]);

    const hung = spawner.spawn();
    const pid = hung.pid!;
    hung.onExit((code, signal) => (exit = [code, signal]));
    hung.kill("SIGKILL");
    expect(signals).toEqual([[pid, "SIGKILL"]]);
    expect(child().killCalls).toBe(0);
    child().exitChild(137);
    expect(exit).toEqual([137, "SIGKILL"]);
  });

  it("reports a worker that cannot be forked as exited", async () => {
    const spawner = new UtilityProcessSpawner({
      utilityProcess: {
        fork: () => {
          throw new Error("utilityProcess.fork called before app ready");
        },
      },
    });
    const handle = spawner.spawn();
    expect(handle.pid).toBeUndefined();
    await expect(new Promise((resolve) => handle.onExit((code, signal) => resolve([code, signal])))).resolves.toEqual([null, null]);
  });

  it("serves a supervised job end to end through the worker's parentPort channel", async () => {
    const spawner = new UtilityProcessSpawner();
    const supervisor = new WorkerSupervisor({ spawner, modelPath: "/models/m.gguf", modelId: "m", modelLabel: "M", demo: false, sequences: 2 });
    // The worker process the fake forks: a real WorkerService on the utility-process channel.
    const originalFork = fake.module.utilityProcess.fork;
    fake.module.utilityProcess.fork = (...args) => {
      const forked = originalFork(...args);
      const parentPort = Object.assign(new EventEmitter(), { postMessage: (message: unknown) => forked.fromChild(message) });
      forked.postMessage = (message: unknown) => void parentPort.emit("message", { data: structuredClone(message) });
      const channel = openWorkerChannel({ parentPort } as unknown as NodeJS.Process)!;
      queueMicrotask(() =>
        new WorkerService({ channel, pid: forked.pid!, exit: (code) => forked.exitChild(code), loadGenerator: async (options) => echoGenerator(options.sequences ?? 1) }).start(),
      );
      return forked;
    };
    const info = await supervisor.start();
    expect(info).toMatchObject({ capacity: 2, hardware: { backend: "cpu" } });
    const tokens: string[] = [];
    const result = await supervisor.generate({ jobId: "j", input: { kind: "completion", prompt: "hi" }, sampling: { maxTokens: 3, temperature: 0, topP: 1, stop: [] } }, (text) => tokens.push(text), new AbortController().signal);
    expect(result).toEqual({ finishReason: "length", promptTokens: 1, completionTokens: 3, text: "hi hi hi " });
    expect(tokens.join("")).toBe("hi hi hi ");
    await supervisor.stop();
    expect(child().alive).toBe(false);
  });
});

const hardware: Hardware = { backend: "cpu", gpu: null, cpu: "test cpu", memoryBytes: 1024, vramBytes: null };

/** A generator that repeats the prompt once per token. */
function echoGenerator(capacity: number): ServiceGenerator {
  return {
    model: { name: "m", contextSize: 256, trainContextSize: 256 },
    hardware,
    capacity,
    async generate(request, onChunk) {
      const word = request.input.kind === "completion" ? `${request.input.prompt} ` : "";
      for (let i = 0; i < request.sampling.maxTokens; i++) onChunk(word, 1);
      return { finishReason: "length", promptTokens: 1, completionTokens: request.sampling.maxTokens, text: word.repeat(request.sampling.maxTokens) };
    },
    async dispose() {},
  };
}
