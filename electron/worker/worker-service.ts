/**
 * The inference worker's message handling: validates every message from the agent, loads the
 * model, runs up to its capacity of jobs at once (one context sequence each) with batched token
 * streaming, and cancels on request.
 */
import { parseAgentToWorkerMessage, workerToAgentMessage, type AgentToWorkerMessage, type WorkerToAgentMessage } from "../../shared/worker-protocol";
import { GenerationError, LlamaGenerator, type GenerationOutcome, type GenerationRequest, type GeneratorOptions } from "./generator";
import { TokenBatcher } from "./token-batcher";
import type { WorkerChannel } from "./worker-channel";

/** What the service needs of a loaded model ({@link LlamaGenerator}, or a stand-in in tests). */
export interface ServiceGenerator {
  readonly model: LlamaGenerator["model"];
  readonly hardware: LlamaGenerator["hardware"];
  /** Why this backend runs the model, in a sentence. */
  readonly backendReason?: string;
  /** Jobs it runs at once. */
  readonly capacity: number;
  generate(request: GenerationRequest, onChunk: (text: string, count: number) => void, signal?: AbortSignal): Promise<GenerationOutcome>;
  dispose(): Promise<void>;
}

/** What the service needs from its process. */
export interface WorkerServiceOptions {
  readonly channel: WorkerChannel;
  readonly pid: number;
  /** Ends the process with this exit code. */
  readonly exit: (code: number) => void;
  /** Loads a model; defaults to {@link LlamaGenerator.load}. */
  readonly loadGenerator?: (options: GeneratorOptions) => Promise<ServiceGenerator>;
  readonly batchIntervalMs?: number;
}

interface RunningJob {
  readonly jobId: string;
  readonly controller: AbortController;
  finished?: Promise<void>;
}

/** How long shutdown waits for cancelled jobs to wind down before freeing the model. */
const SHUTDOWN_JOB_WAIT_MS = 1000;

/** Serves the agent over one channel. */
export class WorkerService {
  private generator: ServiceGenerator | null = null;
  private loading = false;
  private readonly jobs = new Map<string, RunningJob>();
  private shuttingDown = false;

  constructor(private readonly options: WorkerServiceOptions) {}

  /** Starts listening and announces the worker with `ready`. */
  start(): void {
    const { channel } = this.options;
    channel.onMessage((raw) => {
      void this.handle(raw).catch((error: unknown) => {
        this.log("error", `could not handle a message: ${error instanceof Error ? error.message : String(error)}`);
      });
    });
    channel.onDisconnect(() => {
      // The agent is gone; nobody will read our output.
      void this.shutdown(0);
    });
    this.send({ type: "ready", pid: this.options.pid });
  }

  private async handle(raw: unknown): Promise<void> {
    const parsed = parseAgentToWorkerMessage(raw);
    if (!parsed.ok) {
      this.log("error", `ignored a message from the agent: ${parsed.error}`);
      return;
    }
    const message = parsed.value;
    switch (message.type) {
      case "load":
        return this.load(message);
      case "generate":
        return this.generate(message);
      case "cancel":
        this.jobs.get(message.jobId)?.controller.abort();
        return;
      case "shutdown":
        return this.shutdown(0);
    }
  }

  private async load(message: Extract<AgentToWorkerMessage, { type: "load" }>): Promise<void> {
    if (this.generator || this.loading) {
      this.send({ type: "load-failed", message: "A model is already loaded in this worker" });
      return;
    }
    this.loading = true;
    try {
      const load = this.options.loadGenerator ?? ((options: GeneratorOptions) => LlamaGenerator.load(options));
      const generator = await load({
        modelPath: message.modelPath,
        contextSize: message.contextSize,
        threads: message.threads,
        gpu: message.gpu,
        sequences: message.sequences ?? 1,
        log: (level, text) => this.log(level, text),
      });
      if (this.shuttingDown) {
        await generator.dispose();
        return;
      }
      this.generator = generator;
      this.send({ type: "loaded", model: generator.model, hardware: generator.hardware, backendReason: generator.backendReason });
    } catch (error) {
      this.send({ type: "load-failed", message: error instanceof Error ? error.message : String(error) });
    } finally {
      this.loading = false;
    }
  }

  private async generate(message: Extract<AgentToWorkerMessage, { type: "generate" }>): Promise<void> {
    const { jobId } = message;
    const generator = this.generator;
    if (!generator || this.shuttingDown) {
      this.send({ type: "failed", jobId, code: "model_not_loaded", message: "No model is loaded in this worker", retryable: true });
      return;
    }
    if (this.jobs.has(jobId)) {
      // Answering would end the running job of that id on the agent's side.
      this.log("error", `ignored a second job with the id of a running job`);
      return;
    }
    if (this.jobs.size >= generator.capacity) {
      const capacity = generator.capacity;
      this.send({ type: "failed", jobId, code: "busy", message: `The worker is already running ${capacity} job${capacity === 1 ? "" : "s"}`, retryable: true });
      return;
    }
    const job: RunningJob = { jobId, controller: new AbortController() };
    this.jobs.set(jobId, job);
    job.finished = this.runJob(generator, message, job);
    await job.finished;
  }

  private async runJob(generator: ServiceGenerator, message: Extract<AgentToWorkerMessage, { type: "generate" }>, job: RunningJob): Promise<void> {
    const { jobId } = message;
    const batcher = new TokenBatcher((text, count) => this.send({ type: "tokens", jobId, text, count }), this.options.batchIntervalMs);
    try {
      const outcome = await generator.generate(message, (text, count) => batcher.push(text, count), job.controller.signal);
      batcher.flush();
      this.send({ type: "done", jobId, ...outcome });
    } catch (error) {
      batcher.flush();
      if (error instanceof GenerationError) {
        this.send({ type: "failed", jobId, code: error.code, message: error.message, retryable: error.retryable });
      } else {
        this.send({ type: "failed", jobId, code: "internal", message: error instanceof Error ? error.message : String(error), retryable: true });
      }
    } finally {
      if (this.jobs.get(jobId) === job) this.jobs.delete(jobId);
    }
  }

  private async shutdown(code: number): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    const jobs = [...this.jobs.values()];
    for (const job of jobs) job.controller.abort();
    if (jobs.length > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise((resolve) => (timer = setTimeout(resolve, SHUTDOWN_JOB_WAIT_MS)));
      await Promise.race([Promise.all(jobs.map((job) => job.finished)), timeout]);
      clearTimeout(timer);
    }
    const generator = this.generator;
    this.generator = null;
    await generator?.dispose().catch(() => undefined);
    this.options.exit(code);
  }

  private log(level: "debug" | "info" | "warn" | "error", message: string): void {
    this.send({ type: "log", level, message: message.slice(0, 4000) });
  }

  private send(message: DistributiveOmitV<WorkerToAgentMessage>): void {
    this.options.channel.send(workerToAgentMessage(message));
  }
}

type DistributiveOmitV<T> = T extends unknown ? Omit<T, "v"> : never;
