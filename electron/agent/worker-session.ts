/**
 * One inference worker process from spawn to exit, as the supervisor drives it: the ready
 * handshake and model load with their timeouts, the containment sealed once the model is loaded,
 * jobs routed by id with hang timers, a graceful shutdown, and what its exit means for the jobs
 * it was running.
 */
import type { Logger } from "../../shared/logger";
import type { Hardware } from "../../shared/protocol";
import { agentToWorkerMessage, parseWorkerToAgentMessage, type AgentToWorkerMessage, type LoadedModel } from "../../shared/worker-protocol";
import { InferenceError, type InferenceJob, type InferenceResult } from "./inference";
import type { WorkerHandle } from "./worker-spawner";

/** Timer functions, injectable for tests. */
export interface SessionTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** How a worker ended, in words for the owner and in short for a quarantine reason. */
export interface WorkerExit {
  /** "was killed by SIGSEGV", "exited with code 1", "stopped responding (no output for 60 s)". */
  readonly how: string;
  /** "exit signal SIGSEGV", "exit code 1", "no output for 60 s". */
  readonly detail: string;
}

/** Options of {@link WorkerSession}. */
export interface WorkerSessionOptions {
  readonly handle: WorkerHandle;
  /** The load message sent once the worker says `ready`. */
  readonly load: Omit<Extract<AgentToWorkerMessage, { type: "load" }>, "v">;
  readonly readyTimeoutMs: number;
  readonly loadTimeoutMs: number;
  /** A job with no output for this long after its first token is hung. */
  readonly stallTimeoutMs: number;
  /** A job with no first token for this long is hung. */
  readonly firstTokenTimeoutMs: number;
  readonly timers: SessionTimers;
  readonly logger: Logger;
  /** Called once when a worker that had loaded its model ends without being asked to. */
  readonly onCrash: (exit: WorkerExit) => void;
}

/** A failed start, with the short cause a quarantine reason quotes. */
export class StartupError extends Error {
  constructor(
    message: string,
    readonly detail: string,
  ) {
    super(message);
    this.name = "StartupError";
  }
}

interface ActiveJob {
  readonly resolve: (result: InferenceResult) => void;
  readonly reject: (error: InferenceError) => void;
  /** Relays a batch of output and restarts the hang timer. */
  readonly output: (text: string, count: number) => void;
}

interface Startup {
  phase: "spawned" | "loading";
  timer: unknown;
  readonly resolve: (loaded: { model: LoadedModel; hardware: Hardware; backendReason?: string }) => void;
  readonly reject: (error: Error) => void;
}

/** One worker process. */
export class WorkerSession {
  /** The loaded model, or a {@link StartupError}. */
  readonly loaded: Promise<{ model: LoadedModel; hardware: Hardware; backendReason?: string }>;
  /** Resolves when the process has ended. */
  readonly exited: Promise<void>;
  /** True once the model is loaded and the worker's containment (if any) sealed: only then may it run jobs. */
  serving = false;
  /** Set when the supervisor ends the worker on purpose. */
  ending: "stop" | "unload" | null = null;
  private startup: Startup | null = null;
  private readonly jobs = new Map<string, ActiveJob>();
  private hungReason: string | null = null;

  constructor(private readonly options: WorkerSessionOptions) {
    const { handle, timers } = options;
    let markExited: () => void = () => {};
    this.exited = new Promise<void>((resolve) => (markExited = resolve));
    this.loaded = new Promise((resolve, reject) => {
      this.startup = {
        phase: "spawned",
        timer: timers.setTimeout(() => this.failStartup(`The inference worker did not start within ${options.readyTimeoutMs} ms`), options.readyTimeoutMs),
        resolve: (loaded) => {
          this.serving = true;
          resolve(loaded);
        },
        reject,
      };
    });
    this.loaded.catch(() => undefined);
    handle.onMessage((raw) => this.onMessage(raw));
    handle.onExit((code, signal) => {
      markExited();
      this.onExit(code, signal);
    });
  }

  /** The worker's process id. */
  get pid(): number | undefined {
    return this.options.handle.pid;
  }

  /** True while a job with this id runs here. */
  has(jobId: string): boolean {
    return this.jobs.has(jobId);
  }

  /** Runs one job; rejects with {@link InferenceError}. */
  run(job: InferenceJob, onTokens: (text: string, count: number) => void, signal: AbortSignal): Promise<InferenceResult> {
    const { handle, timers, stallTimeoutMs, firstTokenTimeoutMs } = this.options;
    if (!this.serving) {
      // A prompt never reaches a worker before its model is loaded and its containment sealed.
      return Promise.reject(new InferenceError("model_not_loaded", "The inference worker is not ready to serve", true));
    }
    return new Promise<InferenceResult>((resolve, reject) => {
      let hangTimer: unknown = null;
      const watch = (ms: number, reason: string) => {
        timers.clearTimeout(hangTimer);
        hangTimer = timers.setTimeout(() => {
          this.hungReason = reason;
          this.options.logger.warn("inference worker stopped responding; killing it", { pid: handle.pid, reason });
          handle.kill("SIGKILL");
        }, ms);
      };
      const onAbort = () => handle.send(agentToWorkerMessage({ type: "cancel", jobId: job.jobId }));
      const finish = () => {
        timers.clearTimeout(hangTimer);
        signal.removeEventListener("abort", onAbort);
        if (this.jobs.get(job.jobId) === active) this.jobs.delete(job.jobId);
      };
      const active: ActiveJob = {
        resolve: (result) => {
          finish();
          resolve(result);
        },
        reject: (error) => {
          finish();
          reject(error);
        },
        output: (text, count) => {
          watch(stallTimeoutMs, `no output for ${Math.round(stallTimeoutMs / 1000)} s`);
          onTokens(text, count);
        },
      };
      this.jobs.set(job.jobId, active);
      watch(firstTokenTimeoutMs, `no first token within ${Math.round(firstTokenTimeoutMs / 1000)} s`);
      signal.addEventListener("abort", onAbort, { once: true });
      handle.send(agentToWorkerMessage({ type: "generate", jobId: job.jobId, input: job.input, sampling: job.sampling }));
    });
  }

  /** Asks the worker to shut down; kills it when it has not exited within `graceMs`. */
  async end(ending: "stop" | "unload", graceMs: number): Promise<void> {
    this.ending = ending;
    const { handle } = this.options;
    handle.send(agentToWorkerMessage({ type: "shutdown" }));
    if (!(await this.exitedWithin(graceMs))) {
      this.options.logger.warn("inference worker did not exit in time; killing it", { pid: handle.pid });
      handle.kill("SIGKILL");
      await this.exitedWithin(5000);
    }
  }

  private async exitedWithin(ms: number): Promise<boolean> {
    const { timers } = this.options;
    let timer: unknown = null;
    const timeout = new Promise<boolean>((resolve) => {
      timer = timers.setTimeout(() => resolve(false), ms);
    });
    const result = await Promise.race([this.exited.then(() => true), timeout]);
    timers.clearTimeout(timer);
    return result;
  }

  private failStartup(reason: string, detail = reason): void {
    const startup = this.startup;
    if (!startup) return;
    this.startup = null;
    this.options.timers.clearTimeout(startup.timer);
    this.options.handle.kill("SIGKILL");
    startup.reject(new StartupError(reason, detail));
  }

  private onMessage(raw: unknown): void {
    const { handle, logger, timers } = this.options;
    const pid = handle.pid;
    const parsed = parseWorkerToAgentMessage(raw);
    if (!parsed.ok) {
      logger.warn(`inference worker sent an invalid message: ${parsed.error}`, { pid });
      return;
    }
    const message = parsed.value;
    const startup = this.startup;
    switch (message.type) {
      case "log":
        logger[message.level](`worker ${pid ?? "?"}: ${message.message}`, { pid });
        return;
      case "ready": {
        if (startup?.phase !== "spawned") return;
        startup.phase = "loading";
        timers.clearTimeout(startup.timer);
        const { loadTimeoutMs, load } = this.options;
        startup.timer = timers.setTimeout(() => this.failStartup(`The model ${load.modelPath} did not load within ${loadTimeoutMs} ms`), loadTimeoutMs);
        handle.send(agentToWorkerMessage(load));
        return;
      }
      case "loaded": {
        if (startup?.phase !== "loading") return;
        const sealFailure = this.seal();
        if (sealFailure !== null) {
          logger.error(`inference worker could not be sealed after loading its model, so it is stopped: ${sealFailure}`, { pid });
          this.failStartup(`The inference worker could not be contained once its model was loaded: ${sealFailure}`, `containment not sealed: ${sealFailure}`);
          return;
        }
        this.startup = null;
        timers.clearTimeout(startup.timer);
        startup.resolve({ model: message.model, hardware: message.hardware, backendReason: message.backendReason });
        return;
      }
      case "load-failed":
        if (startup?.phase !== "loading") return;
        handle.send(agentToWorkerMessage({ type: "shutdown" }));
        this.failStartup(message.message);
        return;
    }
    const job = this.jobs.get(message.jobId);
    if (!job) {
      logger.debug("inference worker sent a message for another job", { pid, type: message.type });
      return;
    }
    switch (message.type) {
      case "tokens":
        job.output(message.text, message.count);
        return;
      case "done":
        job.resolve({ finishReason: message.finishReason, promptTokens: message.promptTokens, completionTokens: message.completionTokens, text: message.text });
        return;
      case "failed":
        job.reject(new InferenceError(message.code, message.message, message.retryable));
        return;
    }
  }

  /**
   * Tightens the worker's containment now that its model is loaded (Windows: no new process);
   * returns why it failed, or null (also when the handle has nothing to seal).
   */
  private seal(): string | null {
    try {
      this.options.handle.seal?.();
      return null;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  private onExit(code: number | null, signal: string | null): void {
    const hung = this.hungReason;
    const detail = hung ?? (signal ? `exit signal ${signal}` : `exit code ${code ?? "unknown"}`);
    const how = hung ? `stopped responding (${hung})` : signal ? `was killed by ${signal}` : `exited with code ${code ?? "unknown"}`;
    this.failStartup(`The inference worker ${how} while starting`, detail);
    // A crash fails every job the worker was running.
    for (const job of [...this.jobs.values()]) {
      if (this.ending === null) job.reject(new InferenceError("worker_crashed", `The inference worker ${how} during the job`, true));
      else job.reject(new InferenceError("node_yield", this.ending === "unload" ? "The model was unloaded" : "The node stopped serving", true));
    }
    if (this.ending === null && this.serving) this.options.onCrash({ how, detail });
  }
}
