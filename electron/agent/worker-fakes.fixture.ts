/**
 * Stand-ins for tests of the worker supervisor: a scripted worker process, a spawner of them,
 * and virtual timers that fire only when a test advances them.
 */
import { workerToAgentMessage, type AgentToWorkerMessage, type WorkerToAgentMessage } from "../../shared/worker-protocol";
import type { WorkerHandle, WorkerSpawner } from "./worker-spawner";
import type { Logger } from "../../shared/logger";
import type { Sampling } from "../../shared/protocol";
import { WorkerSupervisor, type SupervisorTimers, type WorkerState, type WorkerSupervisorOptions } from "./worker-supervisor";

type WithoutV<T> = T extends unknown ? Omit<T, "v"> : never;

/** A scripted worker process. */
export class FakeWorker implements WorkerHandle {
  readonly sent: AgentToWorkerMessage[] = [];
  readonly kills: string[] = [];
  private messageCallbacks: ((message: unknown) => void)[] = [];
  private exitCallbacks: ((code: number | null, signal: string | null) => void)[] = [];
  exited = false;
  /** The containment's seal, when a test gives the worker one. */
  seal?: () => void;
  /** Answers the agent; by default a well-behaved worker that loads at once. */
  onSend: (message: AgentToWorkerMessage, worker: FakeWorker) => void = (message, worker) => {
    if (message.type === "load") worker.say({ type: "loaded", model: { name: "m", contextSize: 512, trainContextSize: 512 }, hardware });
    if (message.type === "shutdown") worker.exit(0, null);
  };

  constructor(readonly pid: number) {}

  send(message: AgentToWorkerMessage): void {
    if (this.exited) return;
    this.sent.push(message);
    this.onSend(message, this);
  }
  onMessage(callback: (message: unknown) => void): void {
    this.messageCallbacks.push(callback);
  }
  onExit(callback: (code: number | null, signal: string | null) => void): void {
    this.exitCallbacks.push(callback);
  }
  kill(signal: NodeJS.Signals = "SIGTERM"): void {
    this.kills.push(signal);
    if (signal === "SIGKILL") this.exit(null, "SIGKILL");
  }
  say(message: WithoutV<WorkerToAgentMessage>): void {
    this.raw(workerToAgentMessage(message));
  }
  raw(message: unknown): void {
    for (const callback of this.messageCallbacks) callback(message);
  }
  exit(code: number | null, signal: string | null): void {
    if (this.exited) return;
    this.exited = true;
    for (const callback of this.exitCallbacks) callback(code, signal);
  }
}

/** The hardware every fake worker reports. */
export const hardware = { backend: "cpu", gpu: null, cpu: "test cpu", memoryBytes: 1024, vramBytes: null } as const;

/** Spawns {@link FakeWorker}s; each announces `ready` unless `announce` is false. */
export class FakeSpawner implements WorkerSpawner {
  readonly workers: FakeWorker[] = [];
  announce = true;
  configure: (worker: FakeWorker) => void = () => {};
  spawn(): WorkerHandle {
    const worker = new FakeWorker(1000 + this.workers.length);
    this.workers.push(worker);
    this.configure(worker);
    if (this.announce) queueMicrotask(() => worker.say({ type: "ready", pid: worker.pid }));
    return worker;
  }
  get last(): FakeWorker {
    return this.workers[this.workers.length - 1]!;
  }
}

/** Virtual timers: nothing fires until `advance`. */
export function virtualTimers(): SupervisorTimers & { advance(ms: number): Promise<void>; now(): number } {
  let now = 0;
  let next = 1;
  let timers: { id: number; at: number; callback: () => void }[] = [];
  return {
    setTimeout: (callback, ms) => {
      const id = next++;
      timers.push({ id, at: now + ms, callback });
      return id;
    },
    clearTimeout: (id) => {
      timers = timers.filter((t) => t.id !== id);
    },
    now: () => now,
    async advance(ms) {
      const end = now + ms;
      for (let guard = 0; guard < 1000; guard++) {
        await flush();
        const due = timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        timers = timers.filter((t) => t !== due);
        now = due.at;
        due.callback();
      }
      now = end;
      await flush();
    },
  };
}

/** Lets pending promise callbacks run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

/** A logger that keeps every line. */
export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const push = (message: string) => void lines.push(message);
  return { lines, debug: push, info: push, warn: push, error: push };
}

/** A supervisor of model "m" over fake workers, virtual timers and no jitter. */
export function setup(extra: Partial<WorkerSupervisorOptions> = {}) {
  const spawner = new FakeSpawner();
  const timers = virtualTimers();
  const states: WorkerState[] = [];
  const logger = recordingLogger();
  const supervisor = new WorkerSupervisor({
    spawner,
    modelPath: "/models/m.gguf",
    modelId: "m",
    modelLabel: "Model M",
    demo: false,
    threads: 3,
    timers,
    now: timers.now,
    random: () => 0,
    logger,
    onStateChange: (state) => states.push(state),
    ...extra,
  });
  return { spawner, timers, states, supervisor, logger };
}

/** Greedy, five tokens. */
export const sampling: Sampling = { maxTokens: 5, temperature: 0, topP: 1, stop: [] };
/** A completion job with this id. */
export const job = (jobId: string) => ({ jobId, input: { kind: "completion" as const, prompt: "hi" }, sampling });
/** A signal that is never aborted. */
export const never = new AbortController().signal;
