/**
 * The node-llama-cpp part of the inference worker: loads one model and runs up to N jobs at
 * once, each on its own context sequence with a clean history.
 * The worker process drives it over IPC; benchmarks and tests drive it in-process with the
 * same settings, so both paths produce the same tokens.
 */
import os from "node:os";
import { stat } from "node:fs/promises";
import {
  LlamaCompletion,
  LlamaLogLevel,
  LlamaVocabularyType,
  resolveChatWrapper,
  type ChatHistoryItem,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaModel,
  type LlamaText,
  type Token,
} from "node-llama-cpp";
import type { ChatMessage, FinishReason, Hardware, JobFailureCode, JobInput, Sampling } from "../../shared/protocol";
import type { LoadedModel, WorkerLogLevel } from "../../shared/worker-protocol";
import { InsufficientMemoryError } from "../agent/models/memory-fit";
import { guardModelMemory, startLlama } from "./llama-loader";
import { StopSequenceFilter } from "./stop-sequence-filter";

/** Top-k used for every sampled job, so that seeded results agree between nodes. */
export const SAMPLING_TOP_K = 40;

/** How to load a model. */
export interface GeneratorOptions {
  readonly modelPath: string;
  /** Wanted context size; clipped to the model's training context. */
  readonly contextSize: number;
  readonly threads: number;
  readonly gpu: boolean;
  /** Jobs run at once, each on its own context sequence of `contextSize` tokens (default 1). */
  readonly sequences?: number;
  /** Receives llama.cpp's own log lines (warnings and errors). */
  readonly log?: (level: WorkerLogLevel, message: string) => void;
}

/** One job for the generator. */
export interface GenerationRequest {
  readonly input: JobInput;
  readonly sampling: Sampling;
}

/** How a generation ended; `text` is the concatenation of every chunk passed to `onChunk`. */
export interface GenerationOutcome {
  readonly finishReason: FinishReason;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly text: string;
}

/** A job the generator refused or could not finish, with the protocol's failure code. */
export class GenerationError extends Error {
  constructor(
    readonly code: JobFailureCode,
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = "GenerationError";
  }
}

const llamaLogLevels: Partial<Record<LlamaLogLevel, WorkerLogLevel>> = {
  [LlamaLogLevel.fatal]: "error",
  [LlamaLogLevel.error]: "error",
  [LlamaLogLevel.warn]: "warn",
  [LlamaLogLevel.info]: "info",
  [LlamaLogLevel.log]: "info",
  [LlamaLogLevel.debug]: "debug",
};

/**
 * After a failed load, node-llama-cpp 3.21's `Llama.dispose()` can wait forever once garbage
 * collection has run; the worker does not wait for it longer than this before reporting.
 */
const DISPOSE_AFTER_FAILURE_MS = 1000;

/** Disposes `resource`, giving up after `ms` (the process is about to report and may exit). */
async function disposeWithin(resource: { dispose(): Promise<void> }, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref?.();
  });
  await Promise.race([resource.dispose().catch(() => undefined), timeout]);
  clearTimeout(timer);
}

/** A loaded model with one context sequence per parallel job; runs up to {@link capacity} jobs at once. */
export class LlamaGenerator {
  private disposed = false;
  /** Sequences not running a job now. */
  private readonly freeSequences: LlamaContextSequence[];
  /** Jobs the generator runs at once. */
  readonly capacity: number;

  private constructor(
    private readonly llama: Llama,
    private readonly llamaModel: LlamaModel,
    private readonly context: LlamaContext,
    sequence: LlamaContextSequence,
    /** The model and the context limit every job is held to. */
    readonly model: LoadedModel,
    readonly hardware: Hardware,
    /** Why this backend runs the model ("CUDA failed to load (…); using Vulkan (…)"). */
    readonly backendReason: string,
  ) {
    const sequences = [sequence];
    while (context.sequencesLeft > 0) sequences.push(context.getSequence());
    this.freeSequences = sequences;
    this.capacity = sequences.length;
  }

  /** Loads the model file; rejects with a message that names the file when it cannot. */
  static async load(options: GeneratorOptions): Promise<LlamaGenerator> {
    const file = await stat(options.modelPath).catch(() => null);
    if (!file?.isFile()) throw new Error(`Model file not found: ${options.modelPath}`);
    const { llama, reason: backendReason } = await startLlama({
      gpu: options.gpu,
      log: options.log,
      llamaOptions: {
        logLevel: LlamaLogLevel.warn,
        logger: (level, message) => {
          const mapped = llamaLogLevels[level];
          const line = message.trim();
          if (mapped && line) options.log?.(mapped, line);
        },
      },
    });
    let llamaModel: LlamaModel;
    try {
      await guardModelMemory(llama, { modelPath: options.modelPath, contextSize: options.contextSize, sequences: options.sequences ?? 1 }).catch(
        (error: unknown) => {
          // Refuse what does not fit; an estimate that cannot be made is not a reason to refuse.
          if (error instanceof InsufficientMemoryError) throw error;
          options.log?.("warn", `could not estimate the model's memory: ${errorMessage(error)}`);
        },
      );
      // "auto": as many layers on the GPU as fit (node-llama-cpp 3.21's default, made explicit).
      llamaModel = await llama.loadModel({ modelPath: options.modelPath, gpuLayers: "auto" });
    } catch (error) {
      await disposeWithin(llama, DISPOSE_AFTER_FAILURE_MS);
      if (error instanceof InsufficientMemoryError) throw error;
      throw new Error(`Cannot load model file ${options.modelPath}: ${errorMessage(error)}`);
    }
    try {
      const trainContextSize = llamaModel.trainContextSize;
      const contextSize = Math.max(1, Math.min(options.contextSize, trainContextSize));
      const context = await llamaModel.createContext({ contextSize, threads: options.threads, sequences: options.sequences ?? 1 });
      const sequence = context.getSequence();
      const name = llamaModel.fileInfo.metadata?.general?.name ?? basename(options.modelPath);
      const hardware = await describeHardware(llama);
      return new LlamaGenerator(llama, llamaModel, context, sequence, { name: String(name).slice(0, 300), contextSize, trainContextSize }, hardware, backendReason);
    } catch (error) {
      await disposeWithin(llamaModel, DISPOSE_AFTER_FAILURE_MS);
      await disposeWithin(llama, DISPOSE_AFTER_FAILURE_MS);
      throw new Error(`Cannot start model ${options.modelPath}: ${errorMessage(error)}`);
    }
  }

  /** Jobs running now. */
  get activeJobs(): number {
    return this.capacity - this.freeSequences.length;
  }

  /** True while every sequence runs a job. */
  get isBusy(): boolean {
    return this.freeSequences.length === 0;
  }

  /**
   * Runs one job on a free sequence, from a clean history. `onChunk` receives the text as it is
   * produced with the number of tokens in each chunk; aborting `signal` ends the job with
   * finishReason "cancelled". Rejects with {@link GenerationError} ("busy" when every sequence
   * runs a job).
   */
  async generate(
    request: GenerationRequest,
    onChunk: (text: string, count: number) => void = () => {},
    signal?: AbortSignal,
  ): Promise<GenerationOutcome> {
    if (this.disposed) throw new GenerationError("model_not_loaded", "The model is not loaded", true);
    const sequence = this.freeSequences.pop();
    if (!sequence) throw new GenerationError("busy", `The worker is already running ${this.capacity} job${this.capacity === 1 ? "" : "s"}`, true);
    try {
      return await this.run(sequence, request, onChunk, signal);
    } finally {
      this.freeSequences.push(sequence);
    }
  }

  private async run(
    sequence: LlamaContextSequence,
    request: GenerationRequest,
    onChunk: (text: string, count: number) => void,
    signal?: AbortSignal,
  ): Promise<GenerationOutcome> {
    const { sampling } = request;
    const prompt = this.promptTokens(request.input);
    const bos = beginningToken(this.llamaModel);
    const promptTokens = prompt.tokens.length + (bos === null ? 0 : 1);
    const limit = this.model.contextSize;
    if (promptTokens === 0) throw new GenerationError("invalid_request", "The prompt is empty", false);
    if (promptTokens >= limit) {
      throw new GenerationError(
        "context_length_exceeded",
        `This model's maximum context length is ${limit} tokens; the prompt has ${promptTokens} tokens`,
        false,
      );
    }
    if (signal?.aborted) return { finishReason: "cancelled", promptTokens, completionTokens: 0, text: "" };

    await sequence.clearHistory();
    const completion = new LlamaCompletion({ contextSequence: sequence });
    let text = "";
    let completionTokens = 0;
    let pendingCount = 0;
    let chunkTokens: Token[] = [];
    let firstChunk = true;
    const filter = new StopSequenceFilter(sampling.stop, (chunk, count) => {
      text += chunk;
      completionTokens += count;
      onChunk(chunk, count);
    });
    // One signal ends generation for both a cancel and a completed stop sequence.
    const halt = new AbortController();
    const onAbort = () => halt.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    const maxTokens = Math.min(sampling.maxTokens, limit - promptTokens);
    try {
      const result = await completion.generateCompletionWithMeta(prompt.tokens, {
        onToken: (tokens) => {
          pendingCount += tokens.length;
          chunkTokens = tokens;
        },
        onTextChunk: (chunk) => {
          const count = Math.max(1, pendingCount);
          pendingCount = 0;
          // node-llama-cpp renders the first generated tokens without what precedes them, which
          // drops a word's leading space ("The little dog" + "was"). A raw completion must join
          // its prompt exactly (as OpenAI's does), and so must a continuation join the answer it
          // continues: their first chunk is rendered after the prompt's last tokens.
          const inContext = firstChunk && (prompt.prefilled || request.input.kind === "completion");
          const text = inContext ? this.llamaModel.detokenize(chunkTokens, false, prompt.tokens.slice(-16)) : chunk;
          firstChunk = false;
          if (filter.push(text, count)) halt.abort();
        },
        signal: halt.signal,
        stopOnAbortSignal: true,
        maxTokens,
        temperature: sampling.temperature,
        topP: sampling.temperature === 0 ? undefined : sampling.topP,
        topK: sampling.temperature === 0 ? undefined : SAMPLING_TOP_K,
        seed: sampling.seed,
        repeatPenalty: false,
        // The chat format's own end-of-turn markers; the job's stop sequences go through the filter.
        customStopTriggers: prompt.stopTriggers,
        // Keep the whole prompt: its size was checked above against the context limit.
        contextShiftSize: 1,
        disableContextShift: true,
      });
      if (filter.stopped) return { finishReason: "stop", promptTokens, completionTokens, text };
      filter.flush();
      return { finishReason: finishReasonOf(result.metadata.stopReason), promptTokens, completionTokens, text };
    } catch (error) {
      if (error instanceof GenerationError) throw error;
      if (filter.stopped) return { finishReason: "stop", promptTokens, completionTokens, text };
      if (signal?.aborted) {
        filter.flush();
        return { finishReason: "cancelled", promptTokens, completionTokens, text };
      }
      throw new GenerationError("internal", `Generation failed: ${errorMessage(error)}`, true);
    } finally {
      signal?.removeEventListener("abort", onAbort);
      completion.dispose({ disposeSequence: false });
    }
  }

  /** The tokens evaluated for a job (without the beginning-of-sequence token the completion adds). */
  private promptTokens(input: JobInput): { tokens: Token[]; stopTriggers: LlamaText[]; prefilled: boolean } {
    const model = this.llamaModel;
    const bos = beginningToken(model);
    const prefilled = (input.prefill ?? "") !== "";
    if (input.kind === "completion") {
      const text = input.prompt + (input.prefill ?? "");
      return { tokens: model.tokenize(text, false, bos === null ? undefined : "trimLeadingSpace"), stopTriggers: [], prefilled };
    }
    const wrapper = resolveChatWrapper(model);
    const state = wrapper.generateContextState({ chatHistory: chatHistoryOf(input.messages, input.prefill ?? "") });
    const tokens = state.contextText.tokenize(model.tokenizer);
    if (bos !== null && tokens[0] === bos) tokens.shift();
    return { tokens, stopTriggers: state.stopGenerationTriggers, prefilled };
  }

  /** Frees the context, the model and the backend. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.context.dispose().catch(() => undefined);
    await this.llamaModel.dispose().catch(() => undefined);
    await this.llama.dispose().catch(() => undefined);
  }
}

/** The token LlamaCompletion puts before the prompt, mirroring its own rule. */
function beginningToken(model: LlamaModel): Token | null {
  const vocabulary = model.vocabularyType;
  if (vocabulary === LlamaVocabularyType.rwkv || vocabulary === LlamaVocabularyType.ugm) return null;
  if (vocabulary === LlamaVocabularyType.wpm) return model.tokens.bos;
  return model.tokens.shouldPrependBosToken ? model.tokens.bos : null;
}

/** The chat history of a job; the assistant's open turn starts with `prefill` (a continuation). */
function chatHistoryOf(messages: readonly ChatMessage[], prefill: string): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = messages.map((message): ChatHistoryItem => {
    switch (message.role) {
      case "system":
      case "developer":
        return { type: "system", text: message.content };
      case "user":
        return { type: "user", text: message.content };
      case "assistant":
        return { type: "model", response: [message.content] };
    }
  });
  history.push({ type: "model", response: prefill === "" ? [] : [prefill] });
  return history;
}

function finishReasonOf(stopReason: string): FinishReason {
  if (stopReason === "abort") return "cancelled";
  if (stopReason === "maxTokens") return "length";
  return "stop";
}

async function describeHardware(llama: Llama): Promise<Hardware> {
  const backend = llama.gpu === false ? "cpu" : llama.gpu;
  const gpuNames = backend === "cpu" ? [] : await llama.getGpuDeviceNames().catch(() => []);
  const vram = backend === "cpu" ? null : await llama.getVramState().catch(() => null);
  return {
    backend,
    gpu: gpuNames.length > 0 ? gpuNames.join(", ").slice(0, 300) : null,
    cpu: (os.cpus()[0]?.model ?? "unknown").trim().slice(0, 300),
    memoryBytes: os.totalmem(),
    vramBytes: vram && vram.total > 0 ? vram.total : null,
  };
}

function basename(path: string): string {
  return path.split(/[\\/]/).pop()?.replace(/\.gguf$/i, "") ?? path;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
