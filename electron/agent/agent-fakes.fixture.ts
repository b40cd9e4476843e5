/**
 * Test doubles for the node agent: a scripted inference engine and the coordinator's job message.
 */
import type { InboundMessage } from "./coordinator-client";
import type { EngineInfo, InferenceEngine, InferenceError, InferenceJob, InferenceResult } from "./inference";

/** An engine that emits one word per tick until done or aborted. */
export class ScriptedEngine implements InferenceEngine {
  words = ["Once", " upon", " a", " time"];
  tickMs = 5;
  capacity = 1;
  failWith: InferenceError | null = null;
  unloads = 0;
  /** The abort signal of each job, in order. */
  readonly jobSignals: AbortSignal[] = [];
  async start(): Promise<EngineInfo> {
    return {
      capacity: this.capacity,
      model: { id: "tiny", label: "Tiny", contextSize: 256, demo: true },
      hardware: { backend: "cpu", gpu: null, cpu: "test cpu", memoryBytes: 1 << 30, vramBytes: null },
    };
  }
  async generate(job: InferenceJob, onTokens: (text: string, count: number) => void, signal: AbortSignal): Promise<InferenceResult> {
    this.jobSignals.push(signal);
    if (this.failWith) throw this.failWith;
    let text = "";
    let n = 0;
    for (const word of this.words.slice(0, job.sampling.maxTokens)) {
      if (signal.aborted) return { finishReason: "cancelled", promptTokens: 3, completionTokens: n, text };
      await new Promise((r) => setTimeout(r, this.tickMs));
      text += word;
      n++;
      onTokens(word, 1);
    }
    return { finishReason: n === job.sampling.maxTokens ? "length" : "stop", promptTokens: 3, completionTokens: n, text };
  }
  async stop(): Promise<void> {}
  async unload(): Promise<void> {
    this.unloads++;
  }
}

/** A job for the "tiny" model. */
export function jobMessage(jobId: string, maxTokens = 4): InboundMessage {
  return {
    v: 1,
    type: "job",
    jobId,
    model: "tiny",
    input: { kind: "completion", prompt: "Tell me" },
    sampling: { maxTokens, temperature: 0, topP: 1, stop: [] },
  };
}
