/**
 * Runs the coordinator's jobs on the inference engine: up to the engine's capacity at once,
 * tokens streamed back as they come, a signed receipt at the end, and a clean hand-back when the
 * owner stops sharing or the connection drops.
 */
import type { Logger } from "../../shared/logger";
import type { CoordinatorMessage, JobFailureCode } from "../../shared/protocol";
import type { OutgoingNodeMessage } from "./coordinator-client";
import { InferenceError, type InferenceEngine } from "./inference";
import { outputHash, type NodeWallet } from "./wallet";

export type JobMessage = Extract<CoordinatorMessage, { type: "job" }>;

interface RunningJob {
  readonly jobId: string;
  readonly model: string;
  readonly startedAt: number;
  readonly controller: AbortController;
  /** Why it is being stopped: the consumer's cancel (billable) or the owner's yield (handed back). */
  stopReason: "cancel" | "yield" | null;
  completionTokens: number;
  done: Promise<void>;
}

/** What the runner reports to the agent's state. */
export interface JobEvents {
  /** The jobs running now changed (started, progressed or ended). */
  onRunning(jobs: readonly { jobId: string; model: string; startedAt: number; completionTokens: number }[]): void;
  /** A job finished with a receipt. */
  onFinished(job: { jobId: string; model: string; completionTokens: number; tokensPerSecond: number; finishedAt: number; finishReason: string }): void;
}

export interface JobRunnerOptions {
  readonly wallet: NodeWallet;
  readonly logger: Logger;
  readonly send: (message: OutgoingNodeMessage) => boolean;
  readonly events: JobEvents;
  readonly now: () => number;
}

/** The jobs of one node. */
export class JobRunner {
  private readonly running = new Map<string, RunningJob>();

  constructor(private readonly options: JobRunnerOptions) {}

  /** How many jobs run now. */
  get size(): number {
    return this.running.size;
  }

  /** Refuses a job with a protocol failure. */
  refuse(jobId: string, code: JobFailureCode, message: string, retryable: boolean): void {
    this.options.send({ type: "failed", jobId, code, message, retryable });
  }

  /** Runs a job on `engine` (the caller has checked sharing, model and capacity). */
  run(job: JobMessage, engine: InferenceEngine): void {
    const running: RunningJob = {
      jobId: job.jobId,
      model: job.model,
      startedAt: this.options.now(),
      controller: new AbortController(),
      stopReason: null,
      completionTokens: 0,
      done: Promise.resolve(),
    };
    this.running.set(job.jobId, running);
    this.report();
    running.done = this.execute(job, engine, running).finally(() => {
      this.running.delete(job.jobId);
      this.report();
    });
  }

  /** The consumer went away: stop the job, and bill what it produced. */
  cancel(jobId: string): void {
    const job = this.running.get(jobId);
    if (!job) return;
    job.stopReason = "cancel";
    job.controller.abort();
  }

  /** Hands every running job back to the coordinator (sharing stopped, connection lost, shutdown). */
  yieldAll(): void {
    for (const job of this.running.values()) {
      job.stopReason = "yield";
      job.controller.abort();
    }
  }

  /** Resolves when every running job has ended. */
  async settled(): Promise<void> {
    await Promise.all([...this.running.values()].map((job) => job.done));
  }

  private report(): void {
    this.options.events.onRunning(
      [...this.running.values()].map(({ jobId, model, startedAt, completionTokens }) => ({ jobId, model, startedAt, completionTokens })),
    );
  }

  private async execute(job: JobMessage, engine: InferenceEngine, running: RunningJob): Promise<void> {
    const { send, wallet, logger, now } = this.options;
    let firstTokenAt: number | null = null;
    try {
      const result = await engine.generate(
        { jobId: job.jobId, input: job.input, sampling: job.sampling },
        (text, count) => {
          if (running.stopReason === "yield") return;
          firstTokenAt ??= now();
          running.completionTokens += count;
          send({ type: "tokens", jobId: job.jobId, text, count });
        },
        running.controller.signal,
      );
      if (running.stopReason === "yield") {
        this.refuse(job.jobId, "node_yield", "the owner stopped sharing; job handed back", true);
        return;
      }
      const receipt = await wallet.signReceipt({
        jobId: job.jobId,
        model: job.model,
        promptTokens: result.promptTokens,
        completionTokens: result.completionTokens,
        outputHash: outputHash(result.text),
      });
      send({ type: "done", jobId: job.jobId, finishReason: result.finishReason, receipt });
      const finishedAt = now();
      const seconds = (finishedAt - (firstTokenAt ?? running.startedAt)) / 1000;
      this.options.events.onFinished({
        jobId: job.jobId,
        model: job.model,
        completionTokens: result.completionTokens,
        tokensPerSecond: seconds > 0 ? Math.round((Math.max(result.completionTokens - 1, 0) / seconds) * 10) / 10 : 0,
        finishedAt,
        finishReason: result.finishReason,
      });
    } catch (error) {
      const failure =
        error instanceof InferenceError ? error : new InferenceError("internal", `the worker failed: ${(error as Error).message}`, true);
      const yielded = running.stopReason === "yield";
      this.refuse(job.jobId, yielded ? "node_yield" : failure.code, failure.message, yielded || failure.retryable);
      logger.warn("job failed", { jobId: job.jobId, code: yielded ? "node_yield" : failure.code, produced: running.completionTokens });
    }
  }
}
