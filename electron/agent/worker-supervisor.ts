/**
 * Runs the inference worker process for the agent: start with a ready handshake, a model load
 * and the worker's containment sealed (see WorkerSession; a worker that cannot be sealed is a
 * failed start and never gets a job), up to `sequences` jobs at once with token streaming and cancel, crash and hang detection
 * with restarts (exponential backoff with jitter, quarantine after repeated crashes), unloading
 * after a while without jobs and loading again on demand, graceful stop.
 */
import type { Logger } from "../../shared/logger";
import { silentLogger } from "../../shared/logger";
import { InferenceError, type EngineInfo, type InferenceEngine, type InferenceJob, type InferenceResult } from "./inference";
import { CrashPolicy, formatDuration, type CrashContext } from "./worker-crash-policy";
import { StartupError, WorkerSession, type SessionTimers, type WorkerExit } from "./worker-session";
import type { WorkerSpawner } from "./worker-spawner";

/** What the supervisor is doing, for the UI and the logs. */
export type WorkerState =
  | { readonly kind: "stopped" }
  | { readonly kind: "starting" }
  | { readonly kind: "ready"; readonly pid: number | undefined; readonly info: EngineInfo }
  /** The worker was stopped to free memory; the next job loads the model again. */
  | { readonly kind: "unloaded"; readonly reason: string }
  | { readonly kind: "crashed"; readonly reason: string }
  | { readonly kind: "restarting"; readonly reason: string; readonly attempt: number; readonly delayMs: number }
  /** Crashed too often: not restarted until start() or resetQuarantine(). */
  | { readonly kind: "quarantined"; readonly reason: string }
  | { readonly kind: "failed"; readonly reason: string };

/** Timer functions, injectable for tests. */
export type SupervisorTimers = SessionTimers;

/** Options of {@link WorkerSupervisor}. */
export interface WorkerSupervisorOptions {
  readonly spawner: WorkerSpawner;
  readonly modelPath: string;
  readonly modelId: string;
  readonly modelLabel: string;
  readonly demo: boolean;
  /** Wanted context size per sequence (default 2048); the worker lowers it to the model's training context. */
  readonly contextSize?: number;
  readonly threads?: number;
  readonly gpu?: boolean;
  /** Jobs run at once, each on its own context sequence (default 1); advertised as capacity. */
  readonly sequences?: number;
  /** Unload the model after this long without a job (default 0: never). */
  readonly idleUnloadMs?: number;
  readonly logger?: Logger;
  /** Time for the worker to say `ready` after it is spawned (default 30 s). */
  readonly readyTimeoutMs?: number;
  /** Time for the model to load (default 120 s). */
  readonly loadTimeoutMs?: number;
  /** A job with no output for this long after its first token is treated as hung: the worker is killed (default 60 s). */
  readonly stallTimeoutMs?: number;
  /** A job with no first token for this long (prompt evaluation) is treated as hung (default 300 s). */
  readonly firstTokenTimeoutMs?: number;
  /** How long stop() and unload() wait for a graceful exit before SIGKILL (default 3 s). */
  readonly stopTimeoutMs?: number;
  /** First restart delay (default 500 ms), doubled per recent crash up to `restartMaxDelayMs`. */
  readonly restartBaseDelayMs?: number;
  readonly restartMaxDelayMs?: number;
  /** This many crashes within `crashWindowMs` quarantine the worker (default 3 in 5 minutes). */
  readonly maxCrashes?: number;
  readonly crashWindowMs?: number;
  readonly random?: () => number;
  readonly now?: () => number;
  readonly timers?: SupervisorTimers;
  readonly onStateChange?: (state: WorkerState) => void;
}

const systemTimers: SupervisorTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Supervises one inference worker process serving one model. */
export class WorkerSupervisor implements InferenceEngine {
  private currentState: WorkerState = { kind: "stopped" };
  private session: WorkerSession | null = null;
  /** What a job waits for before it runs; null while stopped or unloaded. */
  private ready: Promise<EngineInfo> | null = null;
  private restartTimer: unknown = null;
  private cancelRestart: ((error: Error) => void) | null = null;
  private idleTimer: unknown = null;
  /** An unload in progress. */
  private transition: Promise<void> | null = null;
  /** Bumped by stop() and unload(): work started before belongs to a worker ended on purpose. */
  private epoch = 0;
  private readonly reservedJobs = new Set<string>();
  private stopping = false;
  private backend: string | null = null;
  private readonly crashes: CrashPolicy;
  private readonly timers: SupervisorTimers;
  private readonly logger: Logger;

  constructor(private readonly options: WorkerSupervisorOptions) {
    this.timers = options.timers ?? systemTimers;
    this.logger = options.logger ?? silentLogger;
    this.crashes = new CrashPolicy({
      baseDelayMs: options.restartBaseDelayMs,
      maxDelayMs: options.restartMaxDelayMs,
      maxCrashes: options.maxCrashes,
      windowMs: options.crashWindowMs,
      random: options.random,
    });
  }

  /** The current state. */
  get state(): WorkerState {
    return this.currentState;
  }

  /** The pid of the running worker process, if any. */
  get workerPid(): number | undefined {
    return this.session?.pid;
  }

  /** Jobs run at once. */
  get capacity(): number {
    return Math.max(1, Math.floor(this.options.sequences ?? 1));
  }

  /** Starts the worker and loads the model; rejects with a readable reason if it cannot. */
  async start(): Promise<EngineInfo> {
    const kind = this.currentState.kind;
    if (this.currentState.kind === "ready") return this.currentState.info;
    if (this.ready && (kind === "starting" || kind === "restarting" || kind === "crashed")) return this.ready;
    if (this.transition) await this.transition;
    this.stopping = false;
    this.crashes.reset();
    const epoch = this.epoch;
    const ready = this.launch();
    this.ready = ready;
    ready.catch(() => undefined);
    try {
      return await ready;
    } catch (error) {
      if (!this.stopping && epoch === this.epoch) this.setState({ kind: "failed", reason: errorMessage(error) });
      throw error;
    }
  }

  /**
   * Runs one job. Up to {@link capacity} jobs at once: one more rejects with "busy" (retryable).
   * While the worker restarts, or after it was unloaded, the job waits for it to be ready.
   */
  async generate(job: InferenceJob, onTokens: (text: string, count: number) => void, signal: AbortSignal): Promise<InferenceResult> {
    const state = this.currentState;
    if (this.stopping || state.kind === "stopped") throw new InferenceError("model_not_loaded", "The inference engine is not running", true);
    if (state.kind === "quarantined") throw new InferenceError("model_not_loaded", state.reason, true);
    if (this.reservedJobs.size >= this.capacity) {
      throw new InferenceError("busy", `The node is already running ${this.capacity} job${this.capacity === 1 ? "" : "s"}`, true);
    }
    if (this.reservedJobs.has(job.jobId)) throw new InferenceError("invalid_request", `A job with id ${job.jobId} is already running`, false);
    this.reservedJobs.add(job.jobId);
    this.clearIdleTimer();
    try {
      const session = await this.readySession();
      if (signal.aborted) return { finishReason: "cancelled", promptTokens: 0, completionTokens: 0, text: "" };
      return await session.run(job, onTokens, signal);
    } finally {
      this.reservedJobs.delete(job.jobId);
      this.armIdleTimer();
    }
  }

  /**
   * Stops the worker to free its memory (state "unloaded"); the next job starts it and loads the
   * model again. Running jobs end with "node_yield" (retryable).
   */
  async unload(reason = "Unloaded to free memory; the model loads again with the next job"): Promise<void> {
    if (this.transition) return this.transition;
    const kind = this.currentState.kind;
    if (this.stopping || kind === "stopped" || kind === "unloaded" || kind === "quarantined" || kind === "failed") return;
    this.clearIdleTimer();
    this.cancelPendingRestart("The model was unloaded");
    this.epoch++;
    this.ready = null;
    const session = this.session;
    const transition = (async () => {
      if (session) await session.end("unload", this.options.stopTimeoutMs ?? 3000);
      if (this.session === session) this.session = null;
      if (!this.stopping) this.setState({ kind: "unloaded", reason });
    })();
    this.transition = transition;
    try {
      await transition;
    } finally {
      this.transition = null;
    }
  }

  /** Forgets past crashes; a quarantined worker becomes "unloaded" and loads with the next job. */
  resetQuarantine(): void {
    this.crashes.reset();
    if (this.currentState.kind !== "quarantined") return;
    this.ready = null;
    this.setState({ kind: "unloaded", reason: "Quarantine lifted; the model loads again with the next job" });
  }

  /** Stops the worker: asks it to shut down, then kills it after `stopTimeoutMs`. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.epoch++;
    this.clearIdleTimer();
    this.cancelPendingRestart("The inference engine was stopped");
    if (this.transition) await this.transition;
    const session = this.session;
    if (session) await session.end("stop", this.options.stopTimeoutMs ?? 3000);
    this.session = null;
    this.ready = null;
    this.setState({ kind: "stopped" });
  }

  /** Waits until a worker serves, starting one when the model was unloaded. */
  private async readySession(): Promise<WorkerSession> {
    for (let attempt = 0; attempt < 5; attempt++) {
      if (this.transition) await this.transition;
      if (this.stopping) break;
      if (!this.ready) {
        if (this.currentState.kind !== "unloaded") break;
        this.ready = this.reload();
      }
      const ready = this.ready;
      try {
        await ready;
      } catch (error) {
        // A restart or reload that took over is waited for; anything else ends the job.
        if (this.ready && this.ready !== ready) continue;
        throw new InferenceError("model_not_loaded", `The model is not loaded: ${errorMessage(error)}`, true);
      }
      const session = this.session;
      if (session?.serving && !session.ending && !this.stopping) return session;
    }
    throw new InferenceError("model_not_loaded", "The inference engine is not running", true);
  }

  /** Starts a worker after an unload; a failure counts toward quarantine. */
  private reload(): Promise<EngineInfo> {
    const epoch = this.epoch;
    const ready = this.launch().catch((error: unknown) => {
      if (epoch !== this.epoch || this.stopping) throw error;
      this.ready = null;
      const reason = errorMessage(error);
      this.logger.error(`loading the model again failed: ${reason}`);
      const decision = this.crashes.record(this.now());
      if (decision.kind === "quarantine") this.ready = this.quarantine(decision.crashes, { phase: "loading", last: crashDetail(error) });
      else this.setState({ kind: "unloaded", reason: `The model could not be loaded again (${reason}); it is tried again with the next job` });
      throw error;
    });
    ready.catch(() => undefined);
    return ready;
  }

  private launch(): Promise<EngineInfo> {
    this.setState({ kind: "starting" });
    const handle = this.options.spawner.spawn();
    const session: WorkerSession = new WorkerSession({
      handle,
      load: {
        type: "load",
        modelPath: this.options.modelPath,
        contextSize: this.options.contextSize ?? 2048,
        threads: this.options.threads ?? 1,
        gpu: this.options.gpu ?? false,
        sequences: this.capacity,
      },
      readyTimeoutMs: this.options.readyTimeoutMs ?? 30_000,
      loadTimeoutMs: this.options.loadTimeoutMs ?? 120_000,
      stallTimeoutMs: this.options.stallTimeoutMs ?? 60_000,
      firstTokenTimeoutMs: this.options.firstTokenTimeoutMs ?? 300_000,
      timers: this.timers,
      logger: this.logger,
      onCrash: (exit) => this.onCrash(session, exit),
    });
    this.session = session;
    void session.exited.then(() => {
      if (this.session === session) this.session = null;
    });
    return session.loaded.then(({ model, hardware, backendReason }) => {
      const info: EngineInfo = {
        model: { id: this.options.modelId, label: this.options.modelLabel, contextSize: model.contextSize, demo: this.options.demo },
        hardware,
        capacity: this.capacity,
        backendReason,
      };
      this.backend = hardware.backend;
      this.logger.info("inference worker ready", { pid: handle.pid, model: this.options.modelId, contextSize: model.contextSize, backend: hardware.backend, capacity: this.capacity });
      this.setState({ kind: "ready", pid: handle.pid, info });
      this.armIdleTimer();
      return info;
    });
  }

  private onCrash(session: WorkerSession, exit: WorkerExit): void {
    if (this.session === session) this.session = null;
    if (this.stopping) return;
    this.clearIdleTimer();
    this.logger.error(`inference worker ${exit.how}`, { pid: session.pid });
    this.setState({ kind: "crashed", reason: `The inference worker ${exit.how}` });
    this.ready = this.scheduleRestart(`The inference worker ${exit.how}`, { phase: "running", last: exit.detail });
  }

  private scheduleRestart(reason: string, crash: Pick<CrashContext, "phase" | "last">): Promise<EngineInfo> {
    const decision = this.crashes.record(this.now());
    if (decision.kind === "quarantine") return this.quarantine(decision.crashes, crash);
    const { attempt, delayMs } = decision;
    this.setState({ kind: "restarting", reason, attempt, delayMs });
    const epoch = this.epoch;
    const ready = new Promise<EngineInfo>((resolve, reject) => {
      this.cancelRestart = reject;
      this.restartTimer = this.timers.setTimeout(() => {
        this.restartTimer = null;
        this.cancelRestart = null;
        if (this.stopping || epoch !== this.epoch) return reject(new Error("The inference engine was stopped"));
        this.launch().then(resolve, (error: unknown) => {
          if (this.stopping || epoch !== this.epoch) return reject(error);
          this.logger.error(`inference worker restart failed: ${errorMessage(error)}`);
          const next = this.scheduleRestart(errorMessage(error), { phase: "loading", last: crashDetail(error) });
          this.ready = next;
          next.then(resolve, reject);
        });
      }, delayMs);
    });
    ready.catch(() => undefined);
    return ready;
  }

  /** Enters quarantine; returns the rejected promise jobs see instead of a ready worker. */
  private quarantine(crashes: number, crash: Pick<CrashContext, "phase" | "last">): Promise<EngineInfo> {
    const backend = this.backend ?? (this.options.gpu ? "gpu" : "cpu");
    const reason = this.crashes.quarantineReason(crashes, { ...crash, modelLabel: this.options.modelLabel, backend });
    this.logger.error("inference worker quarantined", { crashes, backend });
    this.setState({ kind: "quarantined", reason });
    const rejected = Promise.reject(new Error(reason));
    rejected.catch(() => undefined);
    return rejected;
  }

  private cancelPendingRestart(reason: string): void {
    if (this.restartTimer !== null) {
      this.timers.clearTimeout(this.restartTimer);
      this.restartTimer = null;
    }
    this.cancelRestart?.(new Error(reason));
    this.cancelRestart = null;
  }

  private armIdleTimer(): void {
    const idleMs = this.options.idleUnloadMs ?? 0;
    if (idleMs <= 0 || this.reservedJobs.size > 0 || this.stopping || this.transition || this.currentState.kind !== "ready") return;
    this.clearIdleTimer();
    this.idleTimer = this.timers.setTimeout(() => {
      this.idleTimer = null;
      if (this.reservedJobs.size > 0) return;
      this.logger.info("unloading the model after a while without jobs", { idleMs });
      void this.unload(`Unloaded after ${formatDuration(idleMs)} without jobs, to free memory; the model loads again with the next job`);
    }, idleMs);
  }

  private clearIdleTimer(): void {
    if (this.idleTimer === null) return;
    this.timers.clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
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

/** The short cause of a failed start, for the quarantine reason. */
function crashDetail(error: unknown): string {
  return error instanceof StartupError ? error.detail : errorMessage(error);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
