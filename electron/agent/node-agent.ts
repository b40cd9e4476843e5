/**
 * The node agent: owns the node's one state object, keeps the connection to the coordinator,
 * takes jobs while the owner shares and the sharing rules allow it (decisions come from the
 * sharing monitor), runs them on the inference engine (see job-runner.ts) and implements
 * {@link ControlApi} for the UIs. The worker starts only inside its sandbox, unless the owner
 * allowed running without one.
 */
import type { ControlApi, Diagnostics, LogExport, NodeState, Result, SandboxStatus, WalletRestoreRequest, WorkerStatus } from "../../shared/control-api";
import { DESKTOP_ONLY_ERROR } from "../../shared/control-api";
import type { Logger } from "../../shared/logger";
import type { NodeStatus } from "../../shared/protocol";
import type { Settings } from "../../shared/settings";
import { decideSharing } from "../../shared/sharing-policy";
import type { SharingDecision, SignalAvailability, Signals } from "../../shared/sharing-types";
import { CoordinatorClient, type InboundMessage, type OutgoingNodeMessage } from "./coordinator-client";
import { DiagnosisRequests } from "./coordinator-diagnosis";
import type { EngineInfo, InferenceEngine } from "./inference";
import { JobRunner } from "./job-runner";
import { ModelControls } from "./model-controls";
import type { InstalledModel, ModelManager } from "./models/model-manager";
import { deriveActivity, initialNodeState, pauseProblem, sandboxWarnings, unknownSignals } from "./node-state";
import type { SettingsStore } from "./settings-store";
import type { WithdrawalAsk } from "../../shared/withdrawal";
import type { WalletVault } from "./wallet";
import { WalletControls, walletStatusView } from "./wallet-controls";
import { WithdrawalClient } from "./withdrawal-client";
import { WithdrawalFollower } from "./withdrawal-follower";
import { readNodeTotals } from "./node-totals";
import { earningsRangeSchema, type EarningsRange, type EarningsView } from "../../shared/earnings-view";
import { EarningsClient } from "./coordinator-earnings";
import { EarningsService } from "./earnings-service";
import type { ReceiptLog } from "./receipt-log";

/** The connection the agent talks through (the real client, or a test double). */
export interface CoordinatorLink {
  readonly connected: boolean;
  start(): void;
  send(message: OutgoingNodeMessage): boolean;
  close(): Promise<void>;
}

export interface NodeAgentOptions {
  readonly coordinatorUrl: string;
  /** The node's wallet; the agent joins the coordinator only while it is open. */
  readonly wallet: WalletVault;
  readonly logger: Logger;
  readonly agentVersion: string;
  /** The model served at start. */
  readonly model: InstalledModel;
  /** Makes the engine for a model (with or without the sandbox, as `sandboxed` says). */
  readonly createEngine: (model: InstalledModel, sandboxed: boolean) => InferenceEngine;
  readonly settings: SettingsStore;
  readonly sandbox: SandboxStatus;
  readonly models?: ModelManager;
  /** The node's own record of the receipts it signs; without it, getEarnings is refused. */
  readonly receiptLog?: ReceiptLog;
  readonly now?: () => number;
  /** Pauses between reads of a moving withdrawal (ms); see FOLLOW_DELAYS_MS. */
  readonly withdrawalFollowDelaysMs?: readonly number[];
  /** Builds the coordinator link; defaults to {@link CoordinatorClient}. */
  readonly connect?: (handlers: {
    status: () => NodeStatus;
    onMessage: (message: InboundMessage) => void;
    onConnection: (connected: boolean, reason: string) => void;
  }) => CoordinatorLink;
}

export { PARTIAL_SANDBOX_WARNING, UNSANDBOXED_WARNING, MAX_PAUSE_MS } from "./node-state";

/** The node agent. Call {@link start}, then drive it through the {@link ControlApi} methods. */
export class NodeAgent implements ControlApi {
  private state: NodeState;
  private readonly listeners = new Set<(state: NodeState) => void>();
  private readonly link: CoordinatorLink;
  private readonly jobs: JobRunner;
  private readonly modelControls: ModelControls;
  private engine: InferenceEngine | null = null;
  private engineInfo: EngineInfo | null = null;
  private model: InstalledModel;
  private connectionReason = "Connecting to the coordinator…";
  private engineSettings: string;
  private startError: string | null = null;
  private stopping = false;
  private readonly now: () => number;
  private readonly diagnoses: DiagnosisRequests;
  private readonly walletControls: WalletControls;
  private readonly withdrawals: WithdrawalClient;
  private readonly withdrawalFeed: WithdrawalFollower;
  private readonly earningsClient: EarningsClient;
  private readonly earnings: EarningsService | null;
  private linkStarted = false;
  /** Totals the coordinator pushed (welcome, credits): a totals read that started before the latest is older than it. */
  private totalsHeard = 0;

  constructor(private readonly options: NodeAgentOptions) {
    this.now = options.now ?? Date.now;
    this.model = options.model;
    const initial = options.settings.get();
    const wallet = options.wallet.status();
    this.state = initialNodeState({
      sharing: initial.sharing,
      address: wallet.address ?? "",
      wallet: walletStatusView(wallet),
      coordinatorUrl: options.coordinatorUrl,
      demo: options.model.demo,
      sandbox: options.sandbox,
      decision: decideSharing(initial.rules, unknownSignals(this.now())),
    });
    // Before the link: a link may report its connection while it is being built.
    this.withdrawals = new WithdrawalClient({ coordinatorUrl: options.coordinatorUrl, wallet: options.wallet });
    this.withdrawalFeed = new WithdrawalFollower({
      list: () => this.withdrawals.list(),
      onChange: (withdrawals) => this.update({ withdrawals }),
      onEnded: () => this.refreshTotals(),
      delaysMs: options.withdrawalFollowDelaysMs,
    });
    this.earningsClient = new EarningsClient({ coordinatorUrl: options.coordinatorUrl, wallet: options.wallet, now: this.now });
    const handlers = {
      status: () => this.nodeStatus(),
      onMessage: (message: InboundMessage) => this.onMessage(message),
      onConnection: (connected: boolean, reason: string) => this.onConnection(connected, reason),
    };
    this.link =
      options.connect?.(handlers) ??
      new CoordinatorClient({ url: options.coordinatorUrl, wallet: options.wallet, agentVersion: options.agentVersion, logger: options.logger, ...handlers });
    this.diagnoses = new DiagnosisRequests((message) => this.link.send(message));
    this.jobs = new JobRunner({
      wallet: options.wallet,
      logger: options.logger,
      send: (message) => this.link.send(message),
      now: this.now,
      receipts: options.receiptLog,
      events: {
        onRunning: (running) => {
          const first = running[0];
          this.update({ currentJob: first ? { ...first } : null });
        },
        onFinished: (job) => this.update({ lastJob: job }),
      },
    });
    this.modelControls = new ModelControls({
      models: options.models,
      activePath: () => this.model.path,
      switchTo: (model) => this.switchModel(model),
      logger: options.logger,
    });
    options.models?.onChange(() => this.update({ downloads: [...(options.models?.downloads() ?? [])] }));
    this.engineSettings = `${initial.contextSize}/${initial.parallelSequences}/${initial.idleUnloadMinutes}`;
    options.settings.onChange((settings) => this.onSettings(settings));
    this.walletControls = new WalletControls(options.wallet, options.logger);
    const log = options.receiptLog;
    this.earnings = log
      ? new EarningsService({
          address: () => this.state.address,
          log,
          client: this.earningsClient,
          model: () => this.state.model?.id ?? null,
          now: this.now,
        })
      : null;
    options.wallet.onChange(() => this.walletChanged());
  }

  /** The node's wallet address: its identity on the network ("" while the wallet is not open). */
  get address(): string {
    return this.state.address;
  }

  /** Loads the model in the worker (inside its sandbox), then connects to the coordinator. */
  async start(): Promise<void> {
    if (this.options.wallet.status().state === "ready") this.walletChanged();
    else this.update({});
    if (this.sandboxBlocked()) {
      this.update({});
      return;
    }
    await this.startEngine();
  }

  /** Hands back the running jobs, closes the connection and stops the worker. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.withdrawalFeed.stop();
    this.jobs.yieldAll();
    await this.jobs.settled();
    await this.link.close();
    await this.engine?.stop();
  }

  /** Shows the inference worker's life (from its supervisor) in the state. */
  setWorkerStatus(worker: WorkerStatus): void {
    const before = this.workerProblem();
    this.update({ worker });
    if (before !== this.workerProblem()) this.sendStatus();
  }

  async getState(): Promise<Result<NodeState>> {
    return { ok: true, value: this.state };
  }

  async setSharing(on: boolean): Promise<Result<NodeState>> {
    if (typeof on !== "boolean") return { ok: false, error: "setSharing takes true or false" };
    if (on === this.state.sharing) return { ok: true, value: this.state };
    const before = this.effectiveSharing();
    this.update({ sharing: on });
    this.options.settings.update({ sharing: on });
    this.sharingChanged(before);
    this.options.logger.info(on ? "sharing turned on" : "sharing turned off");
    return { ok: true, value: this.state };
  }

  /**
   * Applies the sharing policy's decision (from the sharing monitor). When sharing must stop, the
   * running jobs go back to the coordinator at once and no new one is taken; when it may start
   * again, the node advertises itself again.
   */
  applyDecision(decision: SharingDecision, signals: Signals, availability: SignalAvailability): void {
    const before = this.effectiveSharing();
    const reasonBefore = this.state.reason;
    this.update({ decision, signals: { latest: signals, available: availability } });
    if (before !== this.effectiveSharing()) {
      this.options.logger.info(decision.share ? "sharing resumed by the rules" : "sharing paused by the rules", { reason: decision.reason });
      this.sharingChanged(before);
    } else if (!before && reasonBefore !== this.state.reason) {
      this.sendStatus();
    }
  }

  /** Pauses sharing until `until` (epoch ms, in the future, at most 7 days away). */
  async pause(until: number): Promise<Result<NodeState>> {
    const problem = pauseProblem(until, this.now());
    return problem ? { ok: false, error: problem } : this.setPausedUntil(Math.round(until));
  }

  /** Ends a pause. */
  async resume(): Promise<Result<NodeState>> {
    return this.setPausedUntil(null);
  }

  /** This node's own answer to "why no jobs", and the coordinator's view (null when it cannot say). */
  /** Earnings of the last 24 h, 7 d or 30 d from the coordinator, reconciled with this node's receipts. */
  async getEarnings(range: EarningsRange): Promise<Result<EarningsView>> {
    if (!earningsRangeSchema.safeParse(range).success) return { ok: false, error: 'getEarnings takes "24h", "7d" or "30d"' };
    if (!this.earnings) return { ok: false, error: "This node keeps no receipt record, so it cannot show its earnings." };
    return this.earnings.view(range);
  }

  async getDiagnostics(): Promise<Result<Diagnostics>> {
    const node = { share: this.effectiveSharing(), reason: this.state.reason };
    if (!this.state.coordinator.connected) return { ok: true, value: { node, coordinator: null } };
    const view = await this.diagnoses.request();
    return { ok: true, value: { node, coordinator: view ? { connected: true, ...view } : null } };
  }

  onState(listener: (state: NodeState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async getSettings(): Promise<Result<Settings>> {
    return { ok: true, value: this.options.settings.get() };
  }

  async updateSettings(patch: Partial<Settings>): Promise<Result<Settings>> {
    try {
      return { ok: true, value: this.options.settings.update(patch) };
    } catch (error) {
      return { ok: false, error: (error as Error).message };
    }
  }

  listModels = () => this.modelControls.list();
  pullModel = (ref: string) => this.modelControls.pull(ref);
  cancelDownload = (id: string) => this.modelControls.cancel(id);
  removeModel = (id: string) => this.modelControls.remove(id);
  getWithdrawalTerms = () => this.withdrawals.terms();
  /** Sends a withdrawal; the state shows it at once, follows it, and the balance it took. */
  withdraw = async (request: WithdrawalAsk) => {
    const result = await this.withdrawals.withdraw(request);
    if (result.ok) {
      this.withdrawalFeed.added(result.value);
      this.refreshTotals();
    }
    return result;
  };
  listWithdrawals = () => this.withdrawals.list();

  getWallet = () => this.walletControls.get();
  unlockWallet = () => this.walletControls.unlock();
  backupWallet = (confirm: true) => this.walletControls.backup(confirm);
  restoreWallet = (request: WalletRestoreRequest) => this.walletControls.restore(request);

  // Logs are files of the desktop app (electron/main/log-file.ts); the desktop shell answers these.
  showLogs = async (): Promise<Result<null>> => ({ ok: false, error: DESKTOP_ONLY_ERROR });
  exportLogs = async (): Promise<Result<LogExport>> => ({ ok: false, error: DESKTOP_ONLY_ERROR });

  /** Joins the coordinator once the wallet is open, and logs in again under a restored key. */
  private walletChanged(): void {
    const wallet = this.options.wallet.status();
    const address = wallet.address ?? "";
    const changed = address !== this.state.address;
    this.update({ address, wallet: walletStatusView(wallet), ...(changed ? { earnings: { todayMicroUsd: 0, balanceMicroUsd: 0, jobsServed: 0 } } : {}) });
    if (changed) this.withdrawalFeed.reset();
    if (wallet.state !== "ready" || this.stopping || (this.linkStarted && !changed)) return;
    // Read before the login too: a coordinator that cannot be reached says so instead of "loading".
    void this.withdrawalFeed.refresh();
    const relink = async () => {
      this.jobs.yieldAll();
      if (this.linkStarted) {
        // The coordinator knows this node by its old address until it logs in again.
        this.onConnection(false, "logging in with the restored wallet");
        await this.link.close();
      }
      this.linkStarted = true;
      if (!this.stopping) this.link.start();
    };
    relink().catch((error: Error) => this.options.logger.error("could not log in again", { error: error.message }));
  }

  async useModel(id: string): Promise<Result<NodeState>> {
    const result = await this.modelControls.use(id);
    return result.ok ? { ok: true, value: this.state } : result;
  }

  private setPausedUntil(pausedUntil: number | null): Result<NodeState> {
    const rules = this.options.settings.get().rules;
    try {
      // The sharing monitor hears the change and decides again before this returns.
      this.options.settings.update({ rules: { ...rules, pausedUntil } });
    } catch (error) {
      return { ok: false, error: (error as Error).message };
    }
    return { ok: true, value: this.state };
  }

  /** The Share switch and the rules together: whether this node takes jobs. */
  private effectiveSharing(): boolean {
    return this.state.sharing && this.state.decision.share;
  }

  /** Acts on a change of the effective sharing: hand back jobs, free the GPU, tell the coordinator. */
  private sharingChanged(before: boolean): void {
    const now = this.effectiveSharing();
    if (before && !now) {
      this.jobs.yieldAll();
      if (this.options.settings.get().rules.freeGpuWhenPaused && this.engine?.unload) {
        this.engine.unload().catch((error: Error) => this.options.logger.warn("could not unload the model", { error: error.message }));
      }
    }
    this.sendStatus();
  }

  private sandboxBlocked(): boolean {
    return !this.options.sandbox.active && !this.options.settings.get().allowUnsandboxed;
  }

  private async startEngine(): Promise<void> {
    const engine = this.options.createEngine(this.model, this.options.sandbox.active);
    this.engine = engine;
    this.startError = null;
    try {
      const info = await engine.start();
      if (this.engine !== engine) return;
      this.engineInfo = info;
      this.startError = null;
      const { model, hardware } = info;
      this.update({
        model: { id: model.id, label: model.label, path: this.model.path, demo: model.demo, contextSize: model.contextSize },
        hardware: { ...hardware, backendReason: info.backendReason ?? "" },
        demoModel: model.demo,
      });
      this.sendStatus();
    } catch (error) {
      if (this.engine !== engine) return;
      this.startError = (error as Error).message;
      this.update({});
      throw error;
    }
  }

  /** Serves another installed model: hands back running jobs, stops the worker, starts a new one. */
  private async switchModel(model: InstalledModel): Promise<void> {
    this.jobs.yieldAll();
    await this.jobs.settled();
    const old = this.engine;
    this.engine = null;
    this.engineInfo = null;
    this.model = model;
    this.update({ model: null, demoModel: model.demo });
    this.sendStatus();
    await old?.stop();
    if (!this.sandboxBlocked()) await this.startEngine();
  }

  private onSettings(settings: Settings): void {
    if (settings.sharing !== this.state.sharing) void this.setSharing(settings.sharing);
    const engineSettings = `${settings.contextSize}/${settings.parallelSequences}/${settings.idleUnloadMinutes}`;
    if (engineSettings !== this.engineSettings) {
      this.engineSettings = engineSettings;
      // The worker takes these at load: reload it with the new values.
      if (this.engine) {
        this.switchModel(this.model).catch((error: Error) => this.options.logger.error("the worker could not restart", { error: error.message }));
        return;
      }
    }
    if (!this.sandboxBlocked() && !this.engine && !this.stopping) {
      this.startEngine().catch((error: Error) => this.options.logger.error("the worker could not start", { error: error.message }));
    } else if (this.sandboxBlocked() && this.engine && !this.options.sandbox.active) {
      // The owner withdrew permission to run without a sandbox: stop serving at once.
      this.jobs.yieldAll();
      const engine = this.engine;
      this.engine = null;
      this.engineInfo = null;
      void engine.stop();
    }
    this.update({});
    this.sendStatus();
  }

  private sendStatus(): void {
    this.link.send({ type: "status", status: this.nodeStatus() });
  }

  private workerProblem(): string | null {
    return workerProblemOf(this.state.worker);
  }

  /** What the coordinator is told about this node. */
  private nodeStatus(): NodeStatus {
    const info = this.engineInfo;
    return {
      sharing: this.effectiveSharing() && info !== null && !this.stopping && this.workerProblem() === null && !this.sandboxBlocked(),
      reason: this.state.reason,
      models: info ? [info.model] : [],
      capacity: info ? (info.capacity ?? 1) : 0,
      hardware: info?.hardware ?? { backend: "cpu", gpu: null, cpu: "unknown", memoryBytes: 0, vramBytes: null },
    };
  }

  private onConnection(connected: boolean, reason: string): void {
    this.connectionReason = reason;
    // The coordinator has already given the jobs away; stop computing them.
    if (!connected) {
      this.jobs.yieldAll();
      this.diagnoses.abandonAll();
    }
    this.update({ coordinator: { url: this.options.coordinatorUrl, connected } });
    this.withdrawalFeed.setConnected(connected);
  }

  /** Reads the balance and today's earnings again (a withdrawal moved them without a credit). */
  private refreshTotals(): void {
    const heard = this.totalsHeard;
    const address = this.state.address;
    readNodeTotals(this.earningsClient).then(
      (totals) => {
        if (heard !== this.totalsHeard || address !== this.state.address || this.stopping) return;
        this.update({ earnings: { ...this.state.earnings, ...totals } });
      },
      (error: Error) => this.options.logger.warn("could not read the node's totals", { error: error.message }),
    );
  }

  private onMessage(message: InboundMessage): void {
    switch (message.type) {
      case "welcome":
        this.totalsHeard += 1;
        this.update({ earnings: { ...this.state.earnings, balanceMicroUsd: message.balanceMicroUsd, todayMicroUsd: message.todayMicroUsd } });
        return;
      case "job": {
        const info = this.engineInfo;
        const engine = this.engine;
        if (!this.state.sharing || this.stopping || this.sandboxBlocked())
          return this.jobs.refuse(message.jobId, "node_yield", "the owner is not sharing this machine now", true);
        if (!this.state.decision.share) return this.jobs.refuse(message.jobId, "node_yield", this.state.decision.reason, true);
        if (!info || !engine || info.model.id !== message.model)
          return this.jobs.refuse(message.jobId, "model_not_loaded", `model ${message.model} is not loaded here`, true);
        if (this.jobs.size >= (info.capacity ?? 1)) return this.jobs.refuse(message.jobId, "busy", "the node is serving other jobs", true);
        this.jobs.run(message, engine);
        return;
      }
      case "cancel":
        this.jobs.cancel(message.jobId);
        return;
      case "credit":
        this.totalsHeard += 1;
        this.options.receiptLog?.recordCredit(message.jobId, message.amountMicroUsd).catch((error: Error) => {
          this.options.logger.warn("could not add a credit to the node's record", { jobId: message.jobId, error: error.message });
        });
        this.update({
          earnings: { balanceMicroUsd: message.balanceMicroUsd, todayMicroUsd: message.todayMicroUsd, jobsServed: this.state.earnings.jobsServed + 1 },
        });
        return;
      case "error":
        if (message.ref) this.diagnoses.refuse(message.ref);
        this.options.logger.warn("the coordinator reported an error", { code: message.code, message: message.message });
        return;
      case "diagnosis":
        this.diagnoses.answer(message.requestId, message.view);
        return;
    }
  }

  private update(patch: Partial<NodeState>): void {
    const next = { ...this.state, ...patch };
    next.warnings = sandboxWarnings(this.options.sandbox, this.options.settings.get().allowUnsandboxed);
    const { activity, reason } = deriveActivity({
      walletProblem: next.wallet.state === "ready" ? null : (next.wallet.reason ?? "The wallet is not open"),
      sandbox: this.options.sandbox,
      sandboxBlocked: this.sandboxBlocked(),
      startError: this.startError,
      workerProblem: workerProblemOf(next.worker),
      modelReady: this.engineInfo !== null,
      connectionReason: this.connectionReason,
      state: next,
      decision: next.decision,
    });
    this.state = { ...next, activity, reason };
    for (const listener of this.listeners) {
      try {
        listener(this.state);
      } catch (error) {
        this.options.logger.error("state listener failed", { error: (error as Error).message });
      }
    }
  }
}

/** The worker's trouble as a phrase, or null when it is fine. */
function workerProblemOf(worker: WorkerStatus): string | null {
  if (worker.state === "restarting" || worker.state === "quarantined" || worker.state === "failed") return worker.reason ?? worker.state;
  return null;
}
