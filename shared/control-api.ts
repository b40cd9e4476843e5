/**
 * The one typed contract between a UI (the Electron window or the headless dashboard) and the
 * node agent. The agent owns a single {@link NodeState} and pushes snapshots of it; the UI reads
 * them and calls the named methods of {@link ControlApi}. Every payload crossing the boundary is
 * checked against the schemas here on the receiving side.
 */
import { z } from "zod";
import { settingsPatchSchema, settingsSchema, type Settings } from "./settings";
import { sharingDecisionSchema, signalAvailabilitySchema, signalsSchema } from "./sharing-types";

/** What the node is doing, as the tray icon and the dashboard show it. */
export const nodeActivitySchema = z.enum(["earning", "ready", "paused", "off", "connecting", "error"]);
export type NodeActivity = z.infer<typeof nodeActivitySchema>;

/** The OS sandbox the inference worker runs in. */
export const sandboxStatusSchema = z.object({
  kind: z.enum(["bubblewrap", "sandbox-exec", "job-object", "none"]),
  /** True when the worker really runs inside it. */
  active: z.boolean(),
  /** What it contains, or why there is none: "bubblewrap: no network, read-only code and models". */
  detail: z.string(),
});
export type SandboxStatus = z.infer<typeof sandboxStatusSchema>;

/** The inference worker's life, as the supervisor sees it. */
export const workerStatusSchema = z.object({
  state: z.enum(["stopped", "starting", "ready", "unloaded", "restarting", "quarantined", "failed"]),
  reason: z.string().nullable(),
});
export type WorkerStatus = z.infer<typeof workerStatusSchema>;

/** One model download in progress (or just ended), pushed with the state. */
export const downloadProgressSchema = z.object({
  id: z.string(),
  name: z.string(),
  receivedBytes: z.number().int().nonnegative(),
  totalBytes: z.number().int().nonnegative().nullable(),
  bytesPerSecond: z.number().nonnegative(),
  etaSeconds: z.number().nonnegative().nullable(),
  state: z.enum(["downloading", "verifying", "done", "failed", "cancelled"]),
  error: z.string().nullable(),
});
export type DownloadProgress = z.infer<typeof downloadProgressSchema>;

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
      /** Why this backend: "CUDA failed to load (…); using Vulkan". */
      backendReason: z.string(),
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
  sandbox: sandboxStatusSchema,
  worker: workerStatusSchema,
  /** Sentences the owner must see wherever the state shows ("Running without a sandbox: …"). */
  warnings: z.array(z.string()),
  downloads: z.array(downloadProgressSchema),
  /** The sharing policy's latest answer (the Share switch is the owner's; this is the rules'). */
  decision: sharingDecisionSchema,
  /** The signals last sampled, and which ones this platform offers at all. */
  signals: z.object({ latest: signalsSchema.nullable(), available: signalAvailabilitySchema }),
});
export type NodeState = z.infer<typeof nodeStateSchema>;

/** How well a model suits this machine. */
export const modelVerdictSchema = z.enum(["fits", "fits-slowly", "does-not-fit"]);
export type ModelVerdict = z.infer<typeof modelVerdictSchema>;

/** A model of the curated catalog, with the verdict for this machine. */
export const catalogModelViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  sizeBytes: z.number().int().nonnegative(),
  quantization: z.string(),
  licence: z.string(),
  minMemoryBytes: z.number().int().nonnegative(),
  verdict: modelVerdictSchema,
  /** A sentence: "Fits: needs 5.1 GB, 14.2 GB of VRAM free". */
  verdictReason: z.string(),
  installed: z.boolean(),
});
export type CatalogModelView = z.infer<typeof catalogModelViewSchema>;

/** A model file present on this machine. */
export const installedModelViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  path: z.string(),
  bytes: z.number().int().nonnegative(),
  /** True for the model the node serves now. */
  active: z.boolean(),
  demo: z.boolean(),
});
export type InstalledModelView = z.infer<typeof installedModelViewSchema>;

export const modelsViewSchema = z.object({
  installed: z.array(installedModelViewSchema),
  catalog: z.array(catalogModelViewSchema),
});
export type ModelsView = z.infer<typeof modelsViewSchema>;

/** "Why am I not getting jobs": the node's own answer and the coordinator's view of it. */
export const diagnosticsSchema = z.object({
  node: z.object({ share: z.boolean(), reason: z.string() }),
  coordinator: z
    .object({
      connected: z.boolean(),
      /** Whether the coordinator sees this node as sharing and able to take a job now. */
      seenSharing: z.boolean(),
      /** Jobs for the node's model in the last hour, on the whole network. */
      jobsLastHour: z.number().int().nonnegative(),
      /** Jobs this node served in the last hour. */
      servedLastHour: z.number().int().nonnegative(),
      /** Other connected, sharing nodes serving the same model. */
      otherNodes: z.number().int().nonnegative(),
      queued: z.number().int().nonnegative(),
      /** Sentences: "No demand for stories260K in the last hour", "3 other nodes serve it". */
      notes: z.array(z.string()),
    })
    .nullable(),
});
export type Diagnostics = z.infer<typeof diagnosticsSchema>;

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
  /** The owner's settings. */
  getSettings(): Promise<Result<Settings>>;
  /** Changes some settings; a bad value is refused with a readable error and nothing changes. */
  updateSettings(patch: Partial<Settings>): Promise<Result<Settings>>;
  /** Installed models and the catalog with a verdict for this machine. */
  listModels(): Promise<Result<ModelsView>>;
  /** Starts downloading a catalog id, an `hf:` URI or a URL; progress arrives in `state.downloads`. */
  pullModel(ref: string): Promise<Result<null>>;
  /** Stops a download (its partial file is kept for a later resume). */
  cancelDownload(id: string): Promise<Result<null>>;
  /** Deletes an installed model (not the one being served). */
  removeModel(id: string): Promise<Result<null>>;
  /** Serves an installed model from now on (the worker reloads). */
  useModel(id: string): Promise<Result<NodeState>>;
  /** Pauses sharing until `until` (epoch ms): running jobs go back to the coordinator at once. */
  pause(until: number): Promise<Result<NodeState>>;
  /** Ends a pause. */
  resume(): Promise<Result<NodeState>>;
  /** Why this node gets no jobs, as it sees itself and as the coordinator sees it. */
  getDiagnostics(): Promise<Result<Diagnostics>>;
}

/** The schema of each method's value, for the receiving side to check replies with. */
export const controlResultSchemas = {
  getState: nodeStateSchema,
  setSharing: nodeStateSchema,
  getSettings: settingsSchema,
  updateSettings: settingsSchema,
  listModels: modelsViewSchema,
  pullModel: z.null(),
  cancelDownload: z.null(),
  removeModel: z.null(),
  useModel: nodeStateSchema,
  pause: nodeStateSchema,
  resume: nodeStateSchema,
  getDiagnostics: diagnosticsSchema,
} as const;
export type ControlMethod = keyof typeof controlResultSchemas;

/** A request frame from a UI to the agent's control server (WebSocket) or IPC handler. */
const ref = z.string().min(1).max(2000);
export const controlRequestSchema = z.discriminatedUnion("method", [
  z.object({ id: z.number().int(), method: z.literal("getState") }),
  z.object({ id: z.number().int(), method: z.literal("setSharing"), on: z.boolean() }),
  z.object({ id: z.number().int(), method: z.literal("getSettings") }),
  z.object({ id: z.number().int(), method: z.literal("updateSettings"), patch: settingsPatchSchema }),
  z.object({ id: z.number().int(), method: z.literal("listModels") }),
  z.object({ id: z.number().int(), method: z.literal("pullModel"), ref }),
  z.object({ id: z.number().int(), method: z.literal("cancelDownload"), downloadId: ref }),
  z.object({ id: z.number().int(), method: z.literal("removeModel"), modelId: ref }),
  z.object({ id: z.number().int(), method: z.literal("useModel"), modelId: ref }),
  z.object({ id: z.number().int(), method: z.literal("pause"), until: z.number().int().positive() }),
  z.object({ id: z.number().int(), method: z.literal("resume") }),
  z.object({ id: z.number().int(), method: z.literal("getDiagnostics") }),
]);
export type ControlRequest = z.infer<typeof controlRequestSchema>;

/** A frame from the agent to a UI: a reply to a request, or a pushed state snapshot. */
// A plain union: two variants share type "reply", which a discriminated union refuses.
export const controlServerFrameSchema = z.union([
  // The value is checked against controlResultSchemas[method] by the side that sent the request.
  z.object({ type: z.literal("reply"), id: z.number().int(), ok: z.literal(true), value: z.unknown() }),
  z.object({ type: z.literal("reply"), id: z.number().int(), ok: z.literal(false), error: z.string() }),
  z.object({ type: z.literal("state"), state: nodeStateSchema }),
]);
export type ControlServerFrame = z.infer<typeof controlServerFrameSchema>;

/** Names of the IPC channels the Electron preload bridges; declared once, used by main and preload. */
export const IPC_CHANNELS = {
  getState: "offpeak:getState",
  setSharing: "offpeak:setSharing",
  getSettings: "offpeak:getSettings",
  updateSettings: "offpeak:updateSettings",
  listModels: "offpeak:listModels",
  pullModel: "offpeak:pullModel",
  cancelDownload: "offpeak:cancelDownload",
  removeModel: "offpeak:removeModel",
  useModel: "offpeak:useModel",
  pause: "offpeak:pause",
  resume: "offpeak:resume",
  getDiagnostics: "offpeak:getDiagnostics",
  state: "offpeak:state",
} as const;

export type { Settings };
