/**
 * Runs the coordinator's jobs on the inference engine: up to the engine's capacity at once,
 * tokens streamed back as they come, a signed receipt at the end, and a clean hand-back when the
 * owner stops sharing or the connection drops.
 */
import type { Logger } from "../../shared/logger";
import type { CoordinatorMessage, FinishReason, JobFailureCode, Receipt } from "../../shared/protocol";
import type { OutgoingNodeMessage } from "./coordinator-client";
import { InferenceError, type InferenceEngine } from "./inference";
import { outputHash, type NodeWallet } from "./wallet";
import type { ReceiptRecorder } from "./receipt-log";

export type JobMessage = Extract<CoordinatorMessage, { type: "job" }>;

interface RunningJob {
  readonly jobId: string;
  readonly model: string;
  readonly startedAt: number;
  readonly controller: AbortController;
  /** Why it is being stopped: the consumer's cancel (billable) or the owner's yield (handed back). */
  stopReason: "cancel" | "yield" | null;
  completionTokens: number;
  /** The text streamed so far (for the receipt of a job that breaks off). */
  text: string;
  done: Promise<void>;
}

/** What the runner reports to the agent's state. */
export interface JobEvents {
  /** The jobs running now changed (started, progressed or ended). */
  onRunning(jobs: readonly { jobId: string; model: string; startedAt: number; completionTokens: number; elapsedMs: number }[]): void;
  /** A job finished with a receipt. */
  onFinished(job: { jobId: string; model: string; completionTokens: number; tokensPerSecond: number; finishedAt: number; finishReason: string }): void;
}

export interface JobRunnerOptions {
  readonly wallet: NodeWallet;
  readonly logger: Logger;
  readonly send: (message: OutgoingNodeMessage) => boolean;
  readonly events: JobEvents;
  readonly now: () => number;
  /** The node's own record of the receipts it signs (kept before each receipt is sent). */
  readonly receipts?: ReceiptRecorder;
}

/** Least time between two progress reports of the running jobs. */
const PROGRESS_REPORT_MS = 500;

/** The jobs of one node. */
export class JobRunner {
  private readonly running = new Map<string, RunningJob>();
  private lastReportAt = 0;

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
      text: "",
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

  /**
   * Reports a job that ended without its answer. When tokens were already streamed, the failure
   * carries a signed receipt for them: the coordinator continues the answer on another node and
   * pays this node for its part.
   */
  private async breakOff(running: RunningJob, code: JobFailureCode, message: string, retryable: boolean): Promise<void> {
    if (running.completionTokens === 0) return this.refuse(running.jobId, code, message, retryable);
    let receipt: Receipt | undefined;
    try {
      receipt = await this.options.wallet.signReceipt({
        jobId: running.jobId,
        model: running.model,
        // The prompt's token count is the worker's to know; a part that broke off bills none.
        promptTokens: 0,
        completionTokens: running.completionTokens,
        outputHash: outputHash(running.text),
      });
    } catch (error) {
      this.options.logger.warn("could not sign the receipt of a job that broke off", { jobId: running.jobId, error: (error as Error).message });
    }
    if (receipt) await this.keep(receipt, "broke-off");
    this.options.send({ type: "failed", jobId: running.jobId, code, message, retryable, ...(receipt ? { receipt } : {}) });
  }

  /** Adds a signed receipt to the node's record; a record that cannot be written never holds the receipt back. */
  private async keep(receipt: Receipt, ending: FinishReason | "broke-off"): Promise<void> {
    try {
      await this.options.receipts?.recordSigned(receipt, ending);
    } catch (error) {
      this.options.logger.warn("could not add the receipt to the node's record", { jobId: receipt.jobId, error: (error as Error).message });
    }
  }

  /** Reports the running jobs' token counts, at most every {@link PROGRESS_REPORT_MS} (the live rate reads them). */
  private reportProgress(): void {
    if (this.options.now() - this.lastReportAt >= PROGRESS_REPORT_MS) this.report();
  }

  private report(): void {
    const at = this.options.now();
    this.lastReportAt = at;
    // The time of the count travels with it, so whoever shows a rate needs no clock of its own.
    this.options.events.onRunning(
      [...this.running.values()].map(({ jobId, model, startedAt, completionTokens }) => ({
        jobId,
        model,
        startedAt,
        completionTokens,
        elapsedMs: Math.max(0, at - startedAt),
      })),
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
          running.text += text;
          send({ type: "tokens", jobId: job.jobId, text, count });
          this.reportProgress();
        },
        running.controller.signal,
      );
      if (running.stopReason === "yield") {
        await this.breakOff(running, "node_yield", "the owner stopped sharing; job handed back", true);
        return;
      }
      const receipt = await wallet.signReceipt({
        jobId: job.jobId,
        model: job.model,
        promptTokens: result.promptTokens,
        completionTokens: result.completionTokens,
        outputHash: outputHash(result.text),
      });
      await this.keep(receipt, result.finishReason);
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
      await this.breakOff(running, yielded ? "node_yield" : failure.code, failure.message, yielded || failure.retryable);
      logger.warn("job failed", { jobId: job.jobId, code: yielded ? "node_yield" : failure.code, produced: running.completionTokens });
    }
  }
}
