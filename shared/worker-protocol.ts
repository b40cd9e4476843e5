/**
 * The agent ⇄ inference worker protocol: typed messages over the worker's IPC channel
 * (Node's child-process channel, or Electron's `parentPort` for a utility process).
 *
 * Every message carries `v` (the worker protocol version) and `type`. Both sides parse every
 * incoming message with {@link parseAgentToWorkerMessage} / {@link parseWorkerToAgentMessage};
 * a message that fails its schema is refused with a readable reason, never thrown.
 * No message from the worker carries prompt text except the generated output itself.
 */
import { z } from "zod";
import { finishReasonSchema, hardwareSchema, jobFailureCodeSchema, jobInputSchema, samplingSchema } from "./protocol";
import type { ParseResult } from "./protocol";

/** Version of this protocol; the agent and the worker ship together, so a mismatch is a bug. */
export const WORKER_PROTOCOL_VERSION = 1;

const v = z.literal(WORKER_PROTOCOL_VERSION);
const jobId = z.string().min(1).max(100);
const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const text = z.string().max(64 * 1024 * 1024);

// ---------------------------------------------------------------- agent → worker

export const agentToWorkerMessageSchema = z.discriminatedUnion("type", [
  z.object({
    v,
    type: z.literal("load"),
    modelPath: z.string().min(1).max(4096),
    /** Wanted context size in tokens; the worker clips it to the model's training context. */
    contextSize: z.number().int().positive().max(1_048_576),
    threads: z.number().int().positive().max(1024),
    gpu: z.boolean(),
    /** Jobs the worker runs at once, each on its own context sequence (default 1). */
    sequences: z.number().int().positive().max(64).optional(),
  }),
  z.object({ v, type: z.literal("generate"), jobId, input: jobInputSchema, sampling: samplingSchema }),
  z.object({ v, type: z.literal("cancel"), jobId }),
  z.object({ v, type: z.literal("shutdown") }),
]);
export type AgentToWorkerMessage = z.infer<typeof agentToWorkerMessageSchema>;

// ---------------------------------------------------------------- worker → agent

/** The model a worker has loaded. `contextSize` is the limit the worker enforces per job. */
export const loadedModelSchema = z.object({
  name: z.string().max(300),
  contextSize: z.number().int().positive(),
  trainContextSize: z.number().int().positive(),
});
export type LoadedModel = z.infer<typeof loadedModelSchema>;

export const logLevelSchema = z.enum(["debug", "info", "warn", "error"]);
export type WorkerLogLevel = z.infer<typeof logLevelSchema>;

export const workerToAgentMessageSchema = z.discriminatedUnion("type", [
  z.object({ v, type: z.literal("ready"), pid: z.number().int().positive() }),
  z.object({
    v,
    type: z.literal("loaded"),
    model: loadedModelSchema,
    hardware: hardwareSchema,
    /** Why this backend runs the model: "Metal (Apple M2 Pro, 32 GB unified memory)", "CUDA failed to load (…); using Vulkan (…)". */
    backendReason: z.string().max(1000).optional(),
  }),
  z.object({ v, type: z.literal("load-failed"), message: z.string().max(4000) }),
  z.object({ v, type: z.literal("tokens"), jobId, text, count: count.min(1) }),
  z.object({
    v,
    type: z.literal("done"),
    jobId,
    finishReason: finishReasonSchema,
    promptTokens: count,
    completionTokens: count,
    text,
  }),
  z.object({
    v,
    type: z.literal("failed"),
    jobId,
    code: jobFailureCodeSchema,
    message: z.string().max(4000),
    retryable: z.boolean(),
  }),
  z.object({ v, type: z.literal("log"), level: logLevelSchema, message: z.string().max(4000) }),
]);
export type WorkerToAgentMessage = z.infer<typeof workerToAgentMessageSchema>;

function parseMessage<T>(schema: z.ZodType<T>, raw: unknown): ParseResult<T> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return { ok: false, error: "message is not an object" };
  }
  if ("v" in raw && (raw as { v: unknown }).v !== WORKER_PROTOCOL_VERSION) {
    const got = (raw as { v: unknown }).v;
    return { ok: false, error: `unsupported worker protocol version ${typeof got === "number" ? got : typeof got} (this side speaks ${WORKER_PROTOCOL_VERSION})` };
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, error: `invalid message: ${issue ? `${issue.path.join(".") || "(root)"}: ${issue.message}` : "schema mismatch"}` };
  }
  return { ok: true, value: parsed.data };
}

/** Parses a message the worker received from the agent. */
export function parseAgentToWorkerMessage(raw: unknown): ParseResult<AgentToWorkerMessage> {
  return parseMessage(agentToWorkerMessageSchema, raw);
}

/** Parses a message the agent received from the worker. */
export function parseWorkerToAgentMessage(raw: unknown): ParseResult<WorkerToAgentMessage> {
  return parseMessage(workerToAgentMessageSchema, raw);
}

type WithoutV<T> = T extends unknown ? Omit<T, "v"> : never;

/** Builds an agent → worker message, adding the protocol version. */
export function agentToWorkerMessage(message: WithoutV<AgentToWorkerMessage>): AgentToWorkerMessage {
  return { v: WORKER_PROTOCOL_VERSION, ...message } as AgentToWorkerMessage;
}

/** Builds a worker → agent message, adding the protocol version. */
export function workerToAgentMessage(message: WithoutV<WorkerToAgentMessage>): WorkerToAgentMessage {
  return { v: WORKER_PROTOCOL_VERSION, ...message } as WorkerToAgentMessage;
}
