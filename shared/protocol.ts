/**
 * The node ⇄ coordinator protocol: JSON messages over one WebSocket that the node opens.
 *
 * Every message carries `v` (the protocol version) and `type`. The receiving side parses each
 * frame with {@link parseNodeMessage} / {@link parseCoordinatorMessage} and answers a frame that
 * is not JSON or fails its schema with an `error` message; it never throws on bad input.
 */
import { z } from "zod";

/** Version of this protocol; a peer speaking another version is refused at login. */
export const PROTOCOL_VERSION = 1;

/** Largest frame either side accepts, in bytes (a prompt of the largest context fits easily). */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;

const v = z.literal(PROTOCOL_VERSION);
const jobId = z.string().min(1).max(100);
const modelId = z.string().min(1).max(200);
const hex = z.string().regex(/^0x[0-9a-fA-F]*$/);
export const addressSchema = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "an EVM address (0x + 40 hex digits)");
const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** A chat message as the OpenAI API takes it, reduced to text. */
export const chatMessageSchema = z.object({
  role: z.enum(["system", "user", "assistant", "developer"]),
  content: z.string().max(MAX_FRAME_BYTES),
});
export type ChatMessage = z.infer<typeof chatMessageSchema>;

/** Sampling parameters, already validated and defaulted by the coordinator. */
export const samplingSchema = z.object({
  maxTokens: z.number().int().positive().max(1_000_000),
  temperature: z.number().min(0).max(2),
  topP: z.number().gt(0).max(1),
  seed: z.number().int().nonnegative().max(2 ** 32 - 1).optional(),
  stop: z.array(z.string().min(1).max(200)).max(4),
});
export type Sampling = z.infer<typeof samplingSchema>;

/**
 * The answer already given by another node, when a job continues one that broke off mid-stream:
 * the node generates what follows it (after the prompt, or inside the assistant's open turn) and
 * streams only the new text.
 */
const prefill = z.string().max(MAX_FRAME_BYTES).optional();

/** What a job asks for: a raw completion of `prompt`, or a chat answer to `messages`. */
export const jobInputSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("completion"), prompt: z.string().max(MAX_FRAME_BYTES), prefill }),
  z.object({ kind: z.literal("chat"), messages: z.array(chatMessageSchema).min(1).max(1000), prefill }),
]);
export type JobInput = z.infer<typeof jobInputSchema>;

/** A model a node can serve right now. */
export const advertisedModelSchema = z.object({
  id: modelId,
  /** What a person sees, e.g. "stories260K" or "Offpeak demo (demo model, random weights)". */
  label: z.string().max(300),
  contextSize: z.number().int().positive(),
  /** True for the project-generated random-weight model. */
  demo: z.boolean(),
  /**
   * The node's asking price for this model, µUSD per million tokens; without it the node takes
   * the network's list price. A job goes to a node only when its consumer's cap covers the ask.
   */
  price: z.object({ inputMicroUsdPerMTok: count, outputMicroUsdPerMTok: count }).optional(),
  /** Bytes of the model file (routing skips a node whose memory cannot hold it). */
  sizeBytes: count.optional(),
});
export type AdvertisedModel = z.infer<typeof advertisedModelSchema>;

/** The hardware a node reports, for routing and for people. */
export const hardwareSchema = z.object({
  backend: z.enum(["metal", "cuda", "vulkan", "cpu"]),
  gpu: z.string().max(300).nullable(),
  cpu: z.string().max(300),
  memoryBytes: count,
  vramBytes: count.nullable(),
});
export type Hardware = z.infer<typeof hardwareSchema>;

/** The signed bill for one job: the node's own statement of what it produced. */
export const receiptSchema = z.object({
  jobId,
  model: modelId,
  promptTokens: count,
  completionTokens: count,
  /** sha256 of the UTF-8 output text, 0x-prefixed. */
  outputHash: hex.length(66),
  /** EIP-712 signature of the receipt by the node's wallet key. */
  signature: hex,
});
export type Receipt = z.infer<typeof receiptSchema>;

export const finishReasonSchema = z.enum(["stop", "length", "cancelled"]);
export type FinishReason = z.infer<typeof finishReasonSchema>;

/** Why a job failed on the node; `retryable` failures go to another node when no token was sent. */
export const jobFailureCodeSchema = z.enum([
  "context_length_exceeded",
  "invalid_request",
  "model_not_loaded",
  "worker_crashed",
  "node_yield",
  "busy",
  "internal",
]);
export type JobFailureCode = z.infer<typeof jobFailureCodeSchema>;

/**
 * The coordinator's view of one node, for "why am I not getting jobs": whether it sees the node
 * as sharing, the demand and competition for its model, and plain sentences saying so.
 */
export const diagnosisViewSchema = z.object({
  seenSharing: z.boolean(),
  /** Jobs for the node's model(s) in the last hour, on the whole network. */
  jobsLastHour: count,
  /** Jobs this node served in the last hour. */
  servedLastHour: count,
  /** Other connected, sharing nodes serving the same model(s). */
  otherNodes: count,
  /** Requests waiting now for a free node serving the model(s). */
  queued: count,
  notes: z.array(z.string().max(500)).max(20),
  /** Set while the coordinator routes no job to this node because it failed verification. */
  quarantine: z.object({ reason: z.string().max(500), since: z.string().max(40) }).optional(),
});
export type DiagnosisView = z.infer<typeof diagnosisViewSchema>;

const requestId = z.string().min(1).max(100);

// ---------------------------------------------------------------- coordinator → node

export const coordinatorMessageSchema = z.discriminatedUnion("type", [
  z.object({ v, type: z.literal("challenge"), nonce: z.string().min(16).max(200), coordinatorId: z.string().max(200) }),
  z.object({ v, type: z.literal("welcome"), address: addressSchema, balanceMicroUsd: count, todayMicroUsd: count }),
  z.object({
    v,
    type: z.literal("job"),
    jobId,
    model: modelId,
    input: jobInputSchema,
    sampling: samplingSchema,
  }),
  z.object({ v, type: z.literal("cancel"), jobId, reason: z.string().max(500) }),
  z.object({
    v,
    type: z.literal("credit"),
    jobId,
    amountMicroUsd: count,
    balanceMicroUsd: count,
    todayMicroUsd: count,
  }),
  z.object({ v, type: z.literal("error"), code: z.string().max(100), message: z.string().max(2000), ref: z.string().max(200).optional() }),
  /** The answer to a node's `diagnose`. */
  z.object({ v, type: z.literal("diagnosis"), requestId, view: diagnosisViewSchema }),
]);
export type CoordinatorMessage = z.infer<typeof coordinatorMessageSchema>;

// ---------------------------------------------------------------- node → coordinator

export const nodeStatusSchema = z.object({
  sharing: z.boolean(),
  reason: z.string().max(500),
  models: z.array(advertisedModelSchema).max(100),
  /** How many jobs the node runs at once. */
  capacity: z.number().int().nonnegative().max(1024),
  hardware: hardwareSchema,
});
export type NodeStatus = z.infer<typeof nodeStatusSchema>;

export const nodeMessageSchema = z.discriminatedUnion("type", [
  z.object({
    v,
    type: z.literal("login"),
    address: addressSchema,
    nonce: z.string().min(16).max(200),
    /** EIP-712 signature of the Login struct. */
    signature: hex,
    agent: z.string().max(100),
    status: nodeStatusSchema,
  }),
  z.object({ v, type: z.literal("status"), status: nodeStatusSchema }),
  z.object({ v, type: z.literal("tokens"), jobId, text: z.string().max(MAX_FRAME_BYTES), count: count.min(1) }),
  z.object({
    v,
    type: z.literal("done"),
    jobId,
    finishReason: finishReasonSchema,
    receipt: receiptSchema,
  }),
  z.object({
    v,
    type: z.literal("failed"),
    jobId,
    code: jobFailureCodeSchema,
    message: z.string().max(2000),
    retryable: z.boolean(),
    /**
     * The signed bill for the tokens already streamed, when the job broke off after its first
     * token: the coordinator continues the answer on another node and pays each node its part.
     */
    receipt: receiptSchema.optional(),
  }),
  z.object({ v, type: z.literal("error"), code: z.string().max(100), message: z.string().max(2000) }),
  /** Asks how the coordinator sees this node; answered with `diagnosis` and the same requestId. */
  z.object({ v, type: z.literal("diagnose"), requestId }),
]);
export type NodeMessage = z.infer<typeof nodeMessageSchema>;

/** Result of parsing one frame: the message, or a readable reason it was refused. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

function parseFrame<T>(schema: z.ZodType<T>, raw: string | Uint8Array): ParseResult<T> {
  const text = typeof raw === "string" ? raw : new TextDecoder().decode(raw);
  if (text.length > MAX_FRAME_BYTES) return { ok: false, error: `frame too large (${text.length} bytes, limit ${MAX_FRAME_BYTES})` };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, error: "frame is not valid JSON" };
  }
  if (typeof json === "object" && json !== null && "v" in json && (json as { v: unknown }).v !== PROTOCOL_VERSION) {
    return { ok: false, error: `unsupported protocol version ${String((json as { v: unknown }).v)} (this side speaks ${PROTOCOL_VERSION})` };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, error: `invalid message: ${issue ? `${issue.path.join(".") || "(root)"}: ${issue.message}` : "schema mismatch"}` };
  }
  return { ok: true, value: parsed.data };
}

/** Parses a frame the coordinator received from a node. */
export function parseNodeMessage(raw: string | Uint8Array): ParseResult<NodeMessage> {
  return parseFrame(nodeMessageSchema, raw);
}

/** Parses a frame the node received from the coordinator. */
export function parseCoordinatorMessage(raw: string | Uint8Array): ParseResult<CoordinatorMessage> {
  return parseFrame(coordinatorMessageSchema, raw);
}

type WithoutV<T> = T extends unknown ? Omit<T, "v"> : never;

/** Serialises a node → coordinator message, adding the protocol version. */
export function encodeNodeMessage(message: WithoutV<NodeMessage>): string {
  return JSON.stringify({ v: PROTOCOL_VERSION, ...message });
}

/** Serialises a coordinator → node message, adding the protocol version. */
export function encodeCoordinatorMessage(message: WithoutV<CoordinatorMessage>): string {
  return JSON.stringify({ v: PROTOCOL_VERSION, ...message });
}
