/**
 * Runs the inference worker process for the agent: start with a ready handshake and a model
 * load, one job at a time with token streaming and cancel, crash and hang detection with
 * restarts (exponential backoff with jitter, quarantine after repeated crashes), graceful stop.
 */
import type { Logger } from "../../shared/logger";
import { silentLogger } from "../../shared/logger";
import { agentToWorkerMessage, parseWorkerToAgentMessage, type LoadedModel } from "../../shared/worker-protocol";
import type { Hardware } from "../../shared/protocol";
import { InferenceError, type EngineInfo, type InferenceEngine, type InferenceJob, type InferenceResult } from "./inference";
import type { WorkerHandle, WorkerSpawner } from "./worker-spawner";

/** What the supervisor is doing, for the UI and the logs. */
export type WorkerState =
  | { readonly kind: "stopped" }
  | { readonly kind: "starting" }
  | { readonly kind: "ready"; readonly pid: number | undefined; readonly info: EngineInfo }
  | { readonly kind: "crashed"; readonly reason: string }
  | { readonly kind: "restarting"; readonly reason: string; readonly attempt: number; readonly delayMs: number }
  | { readonly kind: "failed"; readonly reason: string };

/** Timer functions, injectable for tests. */
export interface SupervisorTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Options of {@link WorkerSupervisor}. */
export interface WorkerSupervisorOptions {
  readonly spawner: WorkerSpawner;
  readonly modelPath: string;
  readonly modelId: string;
  readonly modelLabel: string;
  readonly demo: boolean;
  /** Wanted context size (default 2048); the worker lowers it to the model's training context. */
  readonly contextSize?: number;
  readonly threads?: number;
  readonly gpu?: boolean;
  readonly logger?: Logger;
  /** Time for the worker to say `ready` after it is spawned (default 30 s). */
  readonly readyTimeoutMs?: number;
  /** Time for the model to load (default 120 s). */
  readonly loadTimeoutMs?: number;
  /** A job with no output for this long is treated as hung: the worker is killed (default 60 s). */
  readonly stallTimeoutMs?: number;
  /** How long stop() waits for a graceful exit before SIGKILL (default 3 s). */
  readonly stopTimeoutMs?: number;
  /** First restart delay (default 500 ms), doubled per recent crash up to `restartMaxDelayMs`. */
  readonly restartBaseDelayMs?: number;
  readonly restartMaxDelayMs?: number;
  /** This many crashes within `crashWindowMs` stop the restarts (default 3 in 4 minutes). */
  readonly maxCrashes?: number;
  readonly crashWindowMs?: number;
  readonly random?: () => number;
  readonly now?: () => number;
  readonly timers?: SupervisorTimers;
  readonly onStateChange?: (state: WorkerState) => void;
}

interface ActiveJob {
  readonly jobId: string;
  readonly onTokens: (text: string, count: number) => void;
  readonly resolve: (result: InferenceResult) => void;
  readonly reject: (error: InferenceError) => void;
  /** Restarts the hang timer (called on every batch of output). */
  readonly touch: () => void;
}

interface Startup {
  phase: "spawned" | "loading";
  timer: unknown;
  readonly resolve: (loaded: { model: LoadedModel; hardware: Hardware }) => void;
  readonly reject: (error: Error) => void;
}

interface Session {
  readonly handle: WorkerHandle;
  readonly exited: Promise<void>;
  startup: Startup | null;
  job: ActiveJob | null;
  serving: boolean;
  hungReason: string | null;
}

const systemTimers: SupervisorTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Supervises one inference worker process serving one model. */
export class WorkerSupervisor implements InferenceEngine {
  private currentState: WorkerState = { kind: "stopped" };
  private session: Session | null = null;
  private ready: Promise<EngineInfo> | null = null;
  private restartTimer: unknown = null;
  private cancelRestart: ((error: Error) => void) | null = null;
  private crashTimes: number[] = [];
  private jobReserved = false;
  private stopping = false;
  private readonly timers: SupervisorTimers;
  private readonly logger: Logger;

  constructor(private readonly options: WorkerSupervisorOptions) {
    this.timers = options.timers ?? systemTimers;
    this.logger = options.logger ?? silentLogger;
  }

  /** The current state. */
  get state(): WorkerState {
    return this.currentState;
  }

  /** The pid of the running worker process, if any. */
  get workerPid(): number | undefined {
    return this.session?.handle.pid;
  }

  /** Starts the worker and loads the model; rejects with a readable reason if it cannot. */
  async start(): Promise<EngineInfo> {
    if (this.currentState.kind === "ready") return this.currentState.info;
    if (this.ready && (this.currentState.kind === "starting" || this.currentState.kind === "restarting")) return this.ready;
    this.stopping = false;
    this.crashTimes = [];
    const ready = this.launch();
    this.ready = ready;
    ready.catch(() => undefined);
    try {
      return await ready;
    } catch (error) {
      const reason = errorMessage(error);
      if (!this.stopping) this.setState({ kind: "failed", reason });
      throw error;
    }
  }

  /**
   * Runs one job. One job at a time: a second call while a job runs rejects with "busy"
   * (retryable). While the worker restarts, the job waits for it to be ready again.
   */
  async generate(job: InferenceJob, onTokens: (text: string, count: number) => void, signal: AbortSignal): Promise<InferenceResult> {
    if (this.stopping || !this.ready) throw new InferenceError("model_not_loaded", "The inference engine is not running", true);
    if (this.jobReserved) throw new InferenceError("busy", "The node is already running a job", true);
    this.jobReserved = true;
    try {
      try {
        await this.ready;
      } catch (error) {
        throw new InferenceError("model_not_loaded", `The model is not loaded: ${errorMessage(error)}`, true);
      }
      const session = this.session;
      if (!session || this.stopping) throw new InferenceError("model_not_loaded", "The inference engine is not running", true);
      if (signal.aborted) return { finishReason: "cancelled", promptTokens: 0, completionTokens: 0, text: "" };
      return await this.runJob(session, job, onTokens, signal);
    } finally {
      this.jobReserved = false;
    }
  }

  /** Stops the worker: asks it to shut down, then kills it after `stopTimeoutMs`. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer !== null) {
      this.timers.clearTimeout(this.restartTimer);
      this.restartTimer = null;
    }
    this.cancelRestart?.(new Error("The inference engine was stopped"));
    this.cancelRestart = null;
    const session = this.session;
    if (session) {
      session.handle.send(agentToWorkerMessage({ type: "shutdown" }));
      if (!(await this.waitFor(session.exited, this.options.stopTimeoutMs ?? 3000))) {
        this.logger.warn("inference worker did not exit in time; killing it", { pid: session.handle.pid });
        session.handle.kill("SIGKILL");
        await this.waitFor(session.exited, 5000);
      }
    }
    this.session = null;
    this.setState({ kind: "stopped" });
  }

  private runJob(session: Session, job: InferenceJob, onTokens: (text: string, count: number) => void, signal: AbortSignal): Promise<InferenceResult> {
    const stallMs = this.options.stallTimeoutMs ?? 60_000;
    return new Promise<InferenceResult>((resolve, reject) => {
      let stallTimer: unknown = null;
      const onAbort = () => session.handle.send(agentToWorkerMessage({ type: "cancel", jobId: job.jobId }));
      const finish = () => {
        this.timers.clearTimeout(stallTimer);
        signal.removeEventListener("abort", onAbort);
        if (session.job === active) session.job = null;
      };
      const active: ActiveJob = {
        jobId: job.jobId,
        onTokens,
        resolve: (result) => {
          finish();
          resolve(result);
        },
        reject: (error) => {
          finish();
          reject(error);
        },
        touch: () => {
          this.timers.clearTimeout(stallTimer);
          stallTimer = this.timers.setTimeout(() => {
            session.hungReason = `no output for ${Math.round(stallMs / 1000)} s`;
            this.logger.warn("inference worker stopped responding; killing it", { pid: session.handle.pid, stallMs });
            session.handle.kill("SIGKILL");
          }, stallMs);
        },
      };
      session.job = active;
      active.touch();
      signal.addEventListener("abort", onAbort, { once: true });
      session.handle.send(agentToWorkerMessage({ type: "generate", jobId: job.jobId, input: job.input, sampling: job.sampling }));
    });
  }

  private launch(): Promise<EngineInfo> {
    this.setState({ kind: "starting" });
    const handle = this.options.spawner.spawn();
    let markExited: () => void = () => {};
    const session: Session = {
      handle,
      exited: new Promise<void>((resolve) => (markExited = resolve)),
      startup: null,
      job: null,
      serving: false,
      hungReason: null,
    };
    this.session = session;
    const loaded = new Promise<{ model: LoadedModel; hardware: Hardware }>((resolve, reject) => {
      const readyTimeoutMs = this.options.readyTimeoutMs ?? 30_000;
      session.startup = {
        phase: "spawned",
        timer: this.timers.setTimeout(() => this.failStartup(session, `The inference worker did not start within ${readyTimeoutMs} ms`), readyTimeoutMs),
        resolve,
        reject,
      };
    });
    handle.onMessage((raw) => this.onMessage(session, raw));
    handle.onExit((code, signal) => {
      markExited();
      this.onExit(session, code, signal);
    });
    return loaded.then(({ model, hardware }) => {
      const info: EngineInfo = {
        model: { id: this.options.modelId, label: this.options.modelLabel, contextSize: model.contextSize, demo: this.options.demo },
        hardware,
      };
      session.serving = true;
      this.logger.info("inference worker ready", { pid: handle.pid, model: this.options.modelId, contextSize: model.contextSize, backend: hardware.backend });
      this.setState({ kind: "ready", pid: handle.pid, info });
      return info;
    });
  }

  private failStartup(session: Session, reason: string): void {
    const startup = session.startup;
    if (!startup) return;
    session.startup = null;
    this.timers.clearTimeout(startup.timer);
    session.handle.kill("SIGKILL");
    startup.reject(new Error(reason));
  }

  private onMessage(session: Session, raw: unknown): void {
    const pid = session.handle.pid;
    const parsed = parseWorkerToAgentMessage(raw);
    if (!parsed.ok) {
      this.logger.warn(`inference worker sent an invalid message: ${parsed.error}`, { pid });
      return;
    }
    const message = parsed.value;
    const startup = session.startup;
    switch (message.type) {
      case "log":
        this.logger[message.level](`worker ${pid ?? "?"}: ${message.message}`, { pid });
        return;
      case "ready":
        if (startup?.phase !== "spawned") return;
        startup.phase = "loading";
        this.timers.clearTimeout(startup.timer);
        startup.timer = this.timers.setTimeout(
          () => this.failStartup(session, `The model ${this.options.modelPath} did not load within ${this.options.loadTimeoutMs ?? 120_000} ms`),
          this.options.loadTimeoutMs ?? 120_000,
        );
        session.handle.send(
          agentToWorkerMessage({
            type: "load",
            modelPath: this.options.modelPath,
            contextSize: this.options.contextSize ?? 2048,
            threads: this.options.threads ?? 1,
            gpu: this.options.gpu ?? false,
          }),
        );
        return;
      case "loaded":
        if (startup?.phase !== "loading") return;
        session.startup = null;
        this.timers.clearTimeout(startup.timer);
        startup.resolve({ model: message.model, hardware: message.hardware });
        return;
      case "load-failed":
        if (startup?.phase !== "loading") return;
        session.handle.send(agentToWorkerMessage({ type: "shutdown" }));
        this.failStartup(session, message.message);
        return;
    }
    const job = session.job;
    if (!job || job.jobId !== message.jobId) {
      this.logger.debug("inference worker sent a message for another job", { pid, type: message.type });
      return;
    }
    switch (message.type) {
      case "tokens":
        job.touch();
        job.onTokens(message.text, message.count);
        return;
      case "done":
        job.resolve({
          finishReason: message.finishReason,
          promptTokens: message.promptTokens,
          completionTokens: message.completionTokens,
          text: message.text,
        });
        return;
      case "failed":
        job.reject(new InferenceError(message.code, message.message, message.retryable));
        return;
    }
  }

  private onExit(session: Session, code: number | null, signal: string | null): void {
    const how = session.hungReason ? `stopped responding (${session.hungReason})` : signal ? `was killed by ${signal}` : `exited with code ${code ?? "unknown"}`;
    if (session.startup) this.failStartup(session, `The inference worker ${how} while starting`);
    if (this.session === session) this.session = null;
    const job = session.job;
    if (job) {
      if (this.stopping) job.reject(new InferenceError("node_yield", "The node stopped serving", true));
      else job.reject(new InferenceError("worker_crashed", `The inference worker ${how} during the job`, true));
    }
    if (this.stopping || !session.serving) return;
    this.logger.error(`inference worker ${how}`, { pid: session.handle.pid });
    this.setState({ kind: "crashed", reason: `The inference worker ${how}` });
    this.ready = this.scheduleRestart(`The inference worker ${how}`);
  }

  private scheduleRestart(reason: string): Promise<EngineInfo> {
    const now = (this.options.now ?? Date.now)();
    const windowMs = this.options.crashWindowMs ?? 240_000;
    this.crashTimes = [...this.crashTimes.filter((t) => now - t < windowMs), now];
    const crashes = this.crashTimes.length;
    const maxCrashes = this.options.maxCrashes ?? 3;
    if (crashes >= maxCrashes) {
      const failed = `${reason}; it crashed ${crashes} times in ${Math.round(windowMs / 60_000)} minutes, so it is not restarted`;
      this.logger.error("inference worker quarantined", { crashes });
      this.setState({ kind: "failed", reason: failed });
      const rejected = Promise.reject(new Error(failed));
      rejected.catch(() => undefined);
      return rejected;
    }
    const base = this.options.restartBaseDelayMs ?? 500;
    const max = this.options.restartMaxDelayMs ?? 30_000;
    const ceiling = Math.min(max, base * 2 ** (crashes - 1));
    const delayMs = Math.round(ceiling / 2 + (this.options.random ?? Math.random)() * (ceiling / 2));
    this.setState({ kind: "restarting", reason, attempt: crashes, delayMs });
    const ready = new Promise<EngineInfo>((resolve, reject) => {
      this.cancelRestart = reject;
      this.restartTimer = this.timers.setTimeout(() => {
        this.restartTimer = null;
        this.cancelRestart = null;
        if (this.stopping) return reject(new Error("The inference engine was stopped"));
        this.launch().then(resolve, (error: unknown) => {
          if (this.stopping) return reject(error);
          this.logger.error(`inference worker restart failed: ${errorMessage(error)}`);
          const next = this.scheduleRestart(errorMessage(error));
          this.ready = next;
          next.then(resolve, reject);
        });
      }, delayMs);
    });
    ready.catch(() => undefined);
    return ready;
  }

  private async waitFor(promise: Promise<void>, ms: number): Promise<boolean> {
    let timer: unknown = null;
    const timeout = new Promise<boolean>((resolve) => {
      timer = this.timers.setTimeout(() => resolve(false), ms);
    });
    const result = await Promise.race([promise.then(() => true), timeout]);
    this.timers.clearTimeout(timer);
    return result;
  }

  private setState(state: WorkerState): void {
    this.currentState = state;
    try {
      this.options.onStateChange?.(state);
    } catch (error) {
      this.logger.error(`state listener failed: ${errorMessage(error)}`);
    }
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
