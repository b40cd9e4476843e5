/**
 * What coordinator instances tell each other over the cluster bus, as zod schemas checked on the
 * receiving side: a node's routing view (the directory), and the relay of a job between the
 * instance that took the consumer's request and the instance its node is connected to.
 */
import { z } from "zod";
import { finishReasonSchema, hardwareSchema, jobFailureCodeSchema, receiptSchema } from "../shared/protocol";
import type { HubNode } from "./node-hub";

/** Channel every instance listens on for directory changes. */
export const NODES_CHANNEL = "offpeak_nodes";

/** Channel every instance listens on: a node was quarantined or released (the payload is its address). */
export const REPUTATION_CHANNEL = "offpeak_reputation";

/** Channel every instance listens on: the jobs it served, per node, for the instance that leads the probes. */
export const PROBE_JOBS_CHANNEL = "offpeak_probe_jobs";

/** The channels every instance hears, beyond the directory's. */
export type BroadcastChannel = typeof REPUTATION_CHANNEL | typeof PROBE_JOBS_CHANNEL;

/** An instance id: lowercase letters, digits and underscores (it becomes part of a channel name). */
export const instanceIdSchema = z.string().regex(/^[a-z0-9_]{1,40}$/, "an instance id (1-40 of a-z, 0-9, _)");

/** The channel an instance listens on for messages addressed to it. */
export function instanceChannel(instanceId: string): string {
  return `offpeak_i_${instanceId}`;
}

const count = z.number().int().nonnegative();
const price = z.object({ inputMicroUsdPerMTok: count, outputMicroUsdPerMTok: count });

/** A node's routing view as its instance publishes it (HubNode). */
export const hubNodeSchema = z.object({
  id: z.string().min(1).max(100),
  address: z.string().max(100),
  agent: z.string().max(300).nullable(),
  backend: hardwareSchema.shape.backend,
  statusReason: z.string().max(1_000),
  sharing: z.boolean(),
  models: z.array(z.object({ id: z.string().min(1).max(300), price: price.optional(), sizeBytes: count.optional() })).max(1_000),
  capacity: count,
  inFlight: count,
  lastIdleAtMs: z.number(),
  memoryBytes: count.optional(),
  tokensPerSecond: z.number().nonnegative().nullable(),
  rttMs: z.number().nonnegative().nullable(),
  reputation: z.number().min(0).max(1),
  quarantined: z.boolean(),
  quarantineReason: z.string().max(1_000).nullable(),
}) satisfies z.ZodType<HubNode>;

/** A directory notification: this node of this instance changed (or left). */
export const nodeChangeSchema = z.object({ instance: instanceIdSchema, node: z.string().min(1).max(100) });

const jobKey = { nodeId: z.string().min(1).max(100), jobId: z.string().min(1).max(200) };

/** Messages from one instance to another. `message` fields are encoded coordinator→node frames. */
export const clusterMessageSchema = z.discriminatedUnion("k", [
  // Requester → owner: run this job on your node, send this node a message, stop relaying a job.
  z.object({ k: z.literal("assign"), from: instanceIdSchema, nodeId: jobKey.nodeId, message: z.string() }),
  z.object({ k: z.literal("send"), from: instanceIdSchema, nodeId: jobKey.nodeId, message: z.string() }),
  z.object({ k: z.literal("release"), from: instanceIdSchema, ...jobKey }),
  // Owner → requester: what the node said about the job.
  z.object({ k: z.literal("tokens"), ...jobKey, text: z.string(), count: count }),
  z.object({ k: z.literal("done"), ...jobKey, finishReason: finishReasonSchema, receipt: receiptSchema }),
  z.object({
    k: z.literal("failed"),
    ...jobKey,
    code: jobFailureCodeSchema,
    message: z.string().max(2_000),
    retryable: z.boolean(),
    receipt: receiptSchema.optional(),
  }),
  z.object({ k: z.literal("disconnect"), ...jobKey }),
]);
export type ClusterMessage = z.infer<typeof clusterMessageSchema>;

/** Parses a JSON payload with `schema`; null when it is not valid. */
export function parsePayload<T>(schema: z.ZodType<T>, payload: string): T | null {
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch {
    return null;
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? parsed.data : null;
}
