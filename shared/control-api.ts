/**
 * The one typed contract between a UI (the Electron window or the headless dashboard) and the
 * node agent. The agent owns a single {@link NodeState} and pushes snapshots of it; the UI reads
 * them and calls the named methods of {@link ControlApi}. Every payload crossing the boundary is
 * checked against the schemas here on the receiving side.
 */
import { z } from "zod";

/** What the node is doing, as the tray icon and the dashboard show it. */
export const nodeActivitySchema = z.enum(["earning", "ready", "paused", "off", "connecting", "error"]);
export type NodeActivity = z.infer<typeof nodeActivitySchema>;

export const nodeStateSchema = z.object({
  /** The owner's Share switch. */
  sharing: z.boolean(),
  activity: nodeActivitySchema,
  /** A sentence a person reads: "Ready: waiting for jobs", "Off: sharing is switched off". */
  reason: z.string(),
  address: z.string(),
  coordinator: z.object({ url: z.string(), connected: z.boolean() }),
  model: z
    .object({
      id: z.string(),
      label: z.string(),
      path: z.string(),
      demo: z.boolean(),
      contextSize: z.number().int(),
    })
    .nullable(),
  hardware: z
    .object({
      backend: z.string(),
      gpu: z.string().nullable(),
      cpu: z.string(),
      memoryBytes: z.number().int(),
      vramBytes: z.number().int().nullable(),
    })
    .nullable(),
  currentJob: z.object({ jobId: z.string(), model: z.string(), startedAt: z.number(), completionTokens: z.number().int() }).nullable(),
  lastJob: z
    .object({
      jobId: z.string(),
      model: z.string(),
      completionTokens: z.number().int(),
      tokensPerSecond: z.number(),
      finishedAt: z.number(),
      finishReason: z.string(),
    })
    .nullable(),
  earnings: z.object({
    todayMicroUsd: z.number().int(),
    balanceMicroUsd: z.number().int(),
    jobsServed: z.number().int(),
  }),
  /** True while the model is the project-generated random-weight demo model. */
  demoModel: z.boolean(),
});
export type NodeState = z.infer<typeof nodeStateSchema>;

/** Result of any call across a process boundary: a value, or an error a person can read. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: string };

/** The methods a UI may call on the agent. Nothing else crosses the boundary. */
export interface ControlApi {
  /** The current state snapshot. */
  getState(): Promise<Result<NodeState>>;
  /** Turns sharing on or off. Off stops new jobs and hands the running one back. */
  setSharing(on: boolean): Promise<Result<NodeState>>;
  /** Calls `listener` with every new state snapshot; returns a function that stops it. */
  onState(listener: (state: NodeState) => void): () => void;
}

/** A request frame from a UI to the agent's control server (WebSocket) or IPC handler. */
export const controlRequestSchema = z.discriminatedUnion("method", [
  z.object({ id: z.number().int(), method: z.literal("getState") }),
  z.object({ id: z.number().int(), method: z.literal("setSharing"), on: z.boolean() }),
]);
export type ControlRequest = z.infer<typeof controlRequestSchema>;

/** A frame from the agent to a UI: a reply to a request, or a pushed state snapshot. */
// A plain union: two variants share type "reply", which a discriminated union refuses.
export const controlServerFrameSchema = z.union([
  z.object({ type: z.literal("reply"), id: z.number().int(), ok: z.literal(true), value: nodeStateSchema }),
  z.object({ type: z.literal("reply"), id: z.number().int(), ok: z.literal(false), error: z.string() }),
  z.object({ type: z.literal("state"), state: nodeStateSchema }),
]);
export type ControlServerFrame = z.infer<typeof controlServerFrameSchema>;

/** Names of the IPC channels the Electron preload bridges; declared once, used by main and preload. */
export const IPC_CHANNELS = {
  getState: "offpeak:getState",
  setSharing: "offpeak:setSharing",
  state: "offpeak:state",
} as const;
