/**
 * The one typed contract between a UI (the Electron window or the headless dashboard) and the
 * node agent. The agent owns a single {@link NodeState} and pushes snapshots of it; the UI reads
 * them and calls the named methods of {@link ControlApi}. Every payload crossing the boundary is
 * checked against the schemas here on the receiving side.
 */
import { z } from "zod";
import { settingsPatchSchema, settingsSchema, type Settings } from "./settings";
import { sharingDecisionSchema, signalAvailabilitySchema, signalsSchema } from "./sharing-types";
import { earningsRangeSchema, earningsViewSchema, type EarningsRange, type EarningsView } from "./earnings-view";
import { withdrawalAskSchema, withdrawalTermsViewSchema, withdrawalViewSchema, type WithdrawalAsk, type WithdrawalTermsView, type WithdrawalView } from "./withdrawal";
import { APPEAL_MAX_CHARS, appealViewSchema, nodeStandingSchema, type AppealView } from "./appeal";

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

/** The node's wallet: open, or why not ("Keychain locked: unlock it to earn"). Never the key. */
export const walletStatusSchema = z.object({
  state: z.enum(["ready", "locked", "unavailable", "damaged"]),
  reason: z.string().nullable(),
  /** Where the key lives: "macOS Keychain (service "offpeak", account "node-key")". */
  store: z.string(),
  /** How the backup phrase gives the key back: a BIP-39 wallet phrase, or the key's own bytes ("key: …"). */
  phraseKind: z.enum(["bip39", "raw-key"]).nullable(),
});
export type WalletStatusView = z.infer<typeof walletStatusSchema>;

/** Most withdrawals the state carries (the newest). */
export const WITHDRAWALS_IN_STATE = 20;

/**
 * The node's withdrawals as the agent last read them from the coordinator: "loading" before the
 * first answer, "error" when the last read failed (what was read before stays in `items`).
 */
export const withdrawalFeedSchema = z.object({
  status: z.enum(["loading", "ready", "error"]),
  error: z.string().nullable(),
  /** Newest first. */
  items: z.array(withdrawalViewSchema).max(WITHDRAWALS_IN_STATE),
});
export type WithdrawalFeed = z.infer<typeof withdrawalFeedSchema>;

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
  currentJob: z
    .object({
      jobId: z.string(),
      model: z.string(),
      startedAt: z.number(),
      completionTokens: z.number().int(),
      /** Milliseconds from the start to when `completionTokens` was counted (the agent's clock): the live rate needs no clock of its own. */
      elapsedMs: z.number().nonnegative(),
    })
    .nullable(),
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
  wallet: walletStatusSchema,
  /** This node's latest withdrawals, followed by the agent while one is on its way. */
  withdrawals: withdrawalFeedSchema,
  /** Quarantine, the owner's appeal and its outcome, held earnings (see shared/appeal.ts). */
  standing: nodeStandingSchema,
});
export type NodeState = z.infer<typeof nodeStateSchema>;

/** The wallet as the Wallet page and `offpeak wallet address` show it. */
export const walletViewSchema = walletStatusSchema.extend({ address: z.string().nullable() });
export type WalletView = z.infer<typeof walletViewSchema>;

/** The backup phrase, given only to an explicit, confirmed request. */
export const walletBackupSchema = z.object({
  address: z.string(),
  /** The words to write down ("key: …" for a phrase that is the key itself). */
  phrase: z.string(),
  kind: z.enum(["bip39", "raw-key"]),
});
export type WalletBackup = z.infer<typeof walletBackupSchema>;

/** What a restore did, or (unconfirmed) would do. */
export const walletRestoreSchema = z.object({
  /** The address the phrase gives. */
  address: z.string(),
  /** The address the node had before (null when it had no open wallet). */
  previousAddress: z.string().nullable(),
  kind: z.enum(["bip39", "raw-key"]),
  /** False for an unconfirmed request: nothing was changed. */
  replaced: z.boolean(),
});
export type WalletRestore = z.infer<typeof walletRestoreSchema>;

/** A restore request: the phrase, and whether the owner confirmed the replacement. */
export const walletRestoreRequestSchema = z.object({ phrase: z.string().min(1).max(1000), confirm: z.boolean() });
export type WalletRestoreRequest = z.infer<typeof walletRestoreRequestSchema>;

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
      /** Set while the coordinator keeps this node out of routing after failed verification. */
      quarantine: z.object({ reason: z.string(), since: z.string() }).optional(),
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
  /** Balances, chart and per-job records for the last 24 h, 7 d or 30 d, reconciled with this node's own receipts. */
  getEarnings(range: EarningsRange): Promise<Result<EarningsView>>;
  /** The coordinator's withdrawal terms (fee, minimum, daily limit) with this node's balance, before a withdrawal. */
  getWithdrawalTerms(): Promise<Result<WithdrawalTermsView>>;
  /** Signs a withdrawal with the wallet and sends it to the coordinator; the coordinator's record of it. */
  withdraw(request: WithdrawalAsk): Promise<Result<WithdrawalView>>;
  /** This node's withdrawals, newest first, with their status and transaction hash. */
  listWithdrawals(): Promise<Result<WithdrawalView[]>>;
  /** Signs the owner's statement (at most 1,000 characters) and sends it to the coordinator as an appeal of the quarantine. */
  appeal(statement: string): Promise<Result<AppealView>>;
  /** The wallet's address, where its key lives, and why it is not open when it is not. */
  getWallet(): Promise<Result<WalletView>>;
  /** Tries to open the wallet again (after the owner unlocked the keychain). */
  unlockWallet(): Promise<Result<WalletView>>;
  /** The backup phrase; `confirm` must be `true`, the owner's explicit yes. */
  backupWallet(confirm: true): Promise<Result<WalletBackup>>;
  /**
   * Replaces the wallet's key with the one a backup phrase gives. Unconfirmed, it only says which
   * address the phrase gives; an invalid phrase is refused with the reason.
   */
  restoreWallet(request: WalletRestoreRequest): Promise<Result<WalletRestore>>;
  /** Shows the log file in the file manager (desktop app only; headless it says so). */
  showLogs(): Promise<Result<null>>;
  /** Writes the logs, redacted (no keys, tokens or prompts), to one file and shows it (desktop app only). */
  exportLogs(): Promise<Result<LogExport>>;
}

/** Where "Export logs" wrote its file. */
export const logExportSchema = z.object({ path: z.string() });
export type LogExport = z.infer<typeof logExportSchema>;

/** The answer to a desktop-only method called headless. */
export const DESKTOP_ONLY_ERROR = "Only the desktop app can do this. Headless, the node logs to the terminal (run it with --verbose for more).";

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
  getEarnings: earningsViewSchema,
  getWithdrawalTerms: withdrawalTermsViewSchema,
  withdraw: withdrawalViewSchema,
  listWithdrawals: z.array(withdrawalViewSchema),
  appeal: appealViewSchema,
  getWallet: walletViewSchema,
  unlockWallet: walletViewSchema,
  backupWallet: walletBackupSchema,
  restoreWallet: walletRestoreSchema,
  showLogs: z.null(),
  exportLogs: logExportSchema,
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
  z.object({ id: z.number().int(), method: z.literal("getEarnings"), range: earningsRangeSchema }),
  z.object({ id: z.number().int(), method: z.literal("getWithdrawalTerms") }),
  z.object({ id: z.number().int(), method: z.literal("withdraw"), withdrawal: withdrawalAskSchema }),
  z.object({ id: z.number().int(), method: z.literal("listWithdrawals") }),
  // A little room over the limit: the agent refuses a long statement with a sentence saying so.
  z.object({ id: z.number().int(), method: z.literal("appeal"), statement: z.string().max(APPEAL_MAX_CHARS * 4) }),
  z.object({ id: z.number().int(), method: z.literal("getWallet") }),
  z.object({ id: z.number().int(), method: z.literal("unlockWallet") }),
  z.object({ id: z.number().int(), method: z.literal("backupWallet"), confirm: z.literal(true) }),
  z.object({ id: z.number().int(), method: z.literal("restoreWallet"), restore: walletRestoreRequestSchema }),
  z.object({ id: z.number().int(), method: z.literal("showLogs") }),
  z.object({ id: z.number().int(), method: z.literal("exportLogs") }),
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
  getEarnings: "offpeak:getEarnings",
  getWithdrawalTerms: "offpeak:getWithdrawalTerms",
  withdraw: "offpeak:withdraw",
  listWithdrawals: "offpeak:listWithdrawals",
  appeal: "offpeak:appeal",
  getWallet: "offpeak:getWallet",
  unlockWallet: "offpeak:unlockWallet",
  backupWallet: "offpeak:backupWallet",
  restoreWallet: "offpeak:restoreWallet",
  showLogs: "offpeak:showLogs",
  exportLogs: "offpeak:exportLogs",
  state: "offpeak:state",
} as const;

export type { Settings };
