/**
 * The agent's view of the inference worker: load a model once, then run jobs that stream
 * tokens back. The worker supervisor implements it over a sandboxed child process; the agent
 * and its tests depend only on this interface.
 */
import type { AdvertisedModel, FinishReason, Hardware, JobFailureCode, JobInput, Sampling } from "../../shared/protocol";

/** A job handed to the worker. */
export interface InferenceJob {
  readonly jobId: string;
  readonly input: JobInput;
  readonly sampling: Sampling;
}

/** How a job ended on the worker. `text` is the whole output, as streamed. */
export interface InferenceResult {
  readonly finishReason: FinishReason;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly text: string;
}

/** A failed job, with the protocol's failure code and whether another node could try it. */
export class InferenceError extends Error {
  constructor(
    readonly code: JobFailureCode,
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = "InferenceError";
  }
}

/** What the engine is serving, known once it is ready. */
export interface EngineInfo {
  readonly model: AdvertisedModel;
  readonly hardware: Hardware;
  /** Jobs the engine runs at once (parallel sequences); 1 when absent. */
  readonly capacity?: number;
  /** Why this backend was chosen, in a sentence ("CUDA failed to load (…); using Vulkan"). */
  readonly backendReason?: string;
}

/** A running inference engine (one model, one worker process). */
export interface InferenceEngine {
  /** Starts the worker and loads the model; rejects with a readable reason if it cannot. */
  start(): Promise<EngineInfo>;
  /**
   * Runs a job. `onTokens` receives batches of new text (the first token at once, then about
   * every 16 ms) with the number of tokens in each batch. Aborting `signal` stops generation
   * within a second and resolves with finishReason "cancelled" and what was produced so far.
   * Rejects with {@link InferenceError}.
   */
  generate(job: InferenceJob, onTokens: (text: string, count: number) => void, signal: AbortSignal): Promise<InferenceResult>;
  /** Stops the worker: graceful first, then killed. */
  stop(): Promise<void>;
  /**
   * Frees the model's memory now; the next job loads it again (and waits for that). Jobs running
   * at the call end with "node_yield". Optional: an engine that cannot unload leaves it out.
   */
  unload?(): Promise<void>;
}
