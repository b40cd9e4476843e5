/**
 * The node agent: owns the node's one state object, keeps the connection to the coordinator,
 * takes jobs while the owner shares and the sharing rules allow it (decisions come from the
 * sharing monitor), runs them on the inference engine (see job-runner.ts) and implements
 * {@link ControlApi} for the UIs. The worker starts only inside its sandbox, unless the owner
 * allowed running without one.
 *
 * The class composes the parts that do the work, each in its own module: the state and its
 * listeners (node-state-publisher.ts), the engine (engine-slot.ts), the Share switch, pauses and
 * rules (sharing-controls.ts), earnings and withdrawals (earnings-controls.ts), the coordinator
 * link and its messages (coordinator-session.ts), models (model-controls.ts) and the wallet
 * (wallet-controls.ts). What stays here is the wiring between them, and the status the
 * coordinator is told, which depends on all of them.
 */
import type { ControlApi, Diagnostics, LogExport, NodeState, Result, SandboxStatus, WalletRestoreRequest, WorkerStatus } from "../../shared/control-api";
import { DESKTOP_ONLY_ERROR } from "../../shared/control-api";
import type { EarningsRange, EarningsView } from "../../shared/earnings-view";
import type { Logger } from "../../shared/logger";
import type { NodeStatus } from "../../shared/protocol";
import type { Settings } from "../../shared/settings";
import { decideSharing } from "../../shared/sharing-policy";
import type { SharingDecision, SignalAvailability, Signals } from "../../shared/sharing-types";
import type { WithdrawalAsk } from "../../shared/withdrawal";
import { CoordinatorSession, type CoordinatorLink, type LinkHandlers } from "./coordinator-session";
import { EarningsControls } from "./earnings-controls";
import { EngineSlot } from "./engine-slot";
import type { InferenceEngine } from "./inference";
import { JobRunner } from "./job-runner";
import { ModelControls } from "./model-controls";
import type { InstalledModel, ModelManager } from "./models/model-manager";
import { initialNodeState, unknownSignals } from "./node-state";
import { NodeStatePublisher, workerProblemOf } from "./node-state-publisher";
import type { ReceiptLog } from "./receipt-log";
import type { SettingsStore } from "./settings-store";
import { SharingControls } from "./sharing-controls";
import type { WalletVault } from "./wallet";
import { WalletControls, walletStatusView } from "./wallet-controls";
import { StandingControls } from "./standing-controls";
import { CLEAR_STANDING } from "../../shared/appeal";

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
  /** Builds the coordinator link; defaults to the WebSocket client (coordinator-client.ts). */
  readonly connect?: (handlers: LinkHandlers) => CoordinatorLink;
}

export type { CoordinatorLink } from "./coordinator-session";

export { PARTIAL_SANDBOX_WARNING, UNSANDBOXED_WARNING, MAX_PAUSE_MS } from "./node-state";

/** The node agent. Call {@link start}, then drive it through the {@link ControlApi} methods. */
export class NodeAgent implements ControlApi {
  private readonly store: NodeStatePublisher;
  private readonly session: CoordinatorSession;
  private readonly jobs: JobRunner;
  private readonly slot: EngineSlot;
  private readonly sharing: SharingControls;
  private readonly money: EarningsControls;
  private readonly modelControls: ModelControls;
  private readonly walletControls: WalletControls;
  private readonly standing: StandingControls;
  private stopping = false;

  constructor(private readonly options: NodeAgentOptions) {
    const now = options.now ?? Date.now;
    const initial = options.settings.get();
    const wallet = options.wallet.status();
    const { logger, settings } = options;
    const state = () => this.state;
    const update = (patch: Partial<NodeState>) => this.store.update(patch);
    const stopping = () => this.stopping;
    const sendStatus = () => this.session.sendStatus();
    this.store = new NodeStatePublisher({
      initial: initialNodeState({
        sharing: initial.sharing,
        address: wallet.address ?? "",
        wallet: walletStatusView(wallet),
        coordinatorUrl: options.coordinatorUrl,
        demo: options.model.demo,
        sandbox: options.sandbox,
        decision: decideSharing(initial.rules, unknownSignals(now())),
      }),
      sandbox: options.sandbox,
      allowUnsandboxed: () => settings.get().allowUnsandboxed,
      facts: () => ({ sandboxBlocked: this.slot.blocked(), startError: this.slot.startError, modelReady: this.slot.info !== null }),
      logger,
    });
    // The session comes last: its link may report the connection while it is being built, and
    // that reaches the jobs, the engine and the earnings.
    this.jobs = new JobRunner({
      wallet: options.wallet,
      logger,
      send: (message) => this.session.send(message),
      now,
      receipts: options.receiptLog,
      events: {
        // The state shows one job: the oldest of those running.
        onRunning: (running) => update({ currentJob: running[0] ? { ...running[0] } : null }),
        onFinished: (job) => update({ lastJob: job }),
      },
    });
    this.slot = new EngineSlot({
      model: options.model,
      createEngine: options.createEngine,
      sandbox: options.sandbox,
      settings,
      jobs: this.jobs,
      stopping,
      logger,
      update,
      sendStatus,
    });
    const yieldJobs = () => this.jobs.yieldAll();
    this.sharing = new SharingControls({ state, update, settings, logger, now, sendStatus, yieldJobs, unloadModel: () => this.slot.unload() });
    this.money = new EarningsControls({ ...options, now, state, update, stopping });
    this.standing = new StandingControls({ coordinatorUrl: options.coordinatorUrl, wallet: options.wallet, state, update, logger, now });
    this.session = new CoordinatorSession({
      ...options,
      store: this.store,
      jobs: this.jobs,
      earnings: this.money,
      status: () => this.nodeStatus(),
      serving: () => ({
        ownerSharing: this.state.sharing && !this.stopping && !this.slot.blocked(),
        decision: this.state.decision,
        engine: this.slot.engine,
        info: this.slot.info,
      }),
      stopping,
      standing: this.standing,
    });
    this.modelControls = new ModelControls({
      models: options.models,
      activePath: () => this.slot.model.path,
      switchTo: (model) => this.slot.switchTo(model),
      logger,
    });
    options.models?.onChange(() => update({ downloads: [...(options.models?.downloads() ?? [])] }));
    settings.onChange((next) => this.onSettings(next));
    this.walletControls = new WalletControls(options.wallet, logger);
    options.wallet.onChange(() => this.walletChanged());
  }

  /** The node's wallet address: its identity on the network ("" while the wallet is not open). */
  get address(): string {
    return this.state.address;
  }

  /** Loads the model in the worker (inside its sandbox), then connects to the coordinator. */
  async start(): Promise<void> {
    if (this.options.wallet.status().state === "ready") this.walletChanged();
    else this.store.update({});
    if (this.slot.blocked()) {
      this.store.update({});
      return;
    }
    await this.slot.start();
  }

  /** Hands back the running jobs, closes the connection and stops the worker. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.money.stop();
    this.jobs.yieldAll();
    await this.jobs.settled();
    await this.session.close();
    await this.slot.stop();
  }

  /** Shows the inference worker's life (from its supervisor) in the state. */
  setWorkerStatus(worker: WorkerStatus): void {
    const before = this.workerProblem();
    this.store.update({ worker });
    if (before !== this.workerProblem()) this.session.sendStatus();
  }

  async getState(): Promise<Result<NodeState>> {
    return { ok: true, value: this.state };
  }

  async setSharing(on: boolean): Promise<Result<NodeState>> {
    return this.sharing.set(on);
  }

  /** Applies the sharing policy's decision (from the sharing monitor): jobs stop or resume at once. */
  applyDecision(decision: SharingDecision, signals: Signals, availability: SignalAvailability): void {
    this.sharing.apply(decision, signals, availability);
  }

  /** Pauses sharing until `until` (epoch ms, in the future, at most 7 days away). */
  async pause(until: number): Promise<Result<NodeState>> {
    return this.sharing.pause(until);
  }

  /** Ends a pause. */
  async resume(): Promise<Result<NodeState>> {
    return this.sharing.resume();
  }

  /** Earnings of the last 24 h, 7 d or 30 d from the coordinator, reconciled with this node's receipts. */
  async getEarnings(range: EarningsRange): Promise<Result<EarningsView>> {
    return this.money.view(range);
  }

  /** This node's own answer to "why no jobs", and the coordinator's view (null when it cannot say). */
  async getDiagnostics(): Promise<Result<Diagnostics>> {
    const node = { share: this.sharing.effective, reason: this.state.reason };
    if (!this.state.coordinator.connected) return { ok: true, value: { node, coordinator: null } };
    const view = await this.session.diagnose();
    return { ok: true, value: { node, coordinator: view ? { connected: true, ...view } : null } };
  }

  onState(listener: (state: NodeState) => void): () => void {
    return this.store.listen(listener);
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
  getWithdrawalTerms = () => this.money.terms();
  /** Sends a withdrawal; the state shows it at once, follows it, and the balance it took. */
  withdraw = (request: WithdrawalAsk) => this.money.withdraw(request);
  listWithdrawals = () => this.money.list();
  /** Signs the owner's appeal of the quarantine and files it; the state shows it and, later, the decision. */
  appeal = (statement: string) => this.standing.appeal(statement);

  getWallet = () => this.walletControls.get();
  unlockWallet = () => this.walletControls.unlock();
  backupWallet = (confirm: true) => this.walletControls.backup(confirm);
  restoreWallet = (request: WalletRestoreRequest) => this.walletControls.restore(request);

  // Logs are files of the desktop app (electron/main/log-file.ts); the desktop shell answers these.
  showLogs = async (): Promise<Result<null>> => ({ ok: false, error: DESKTOP_ONLY_ERROR });
  exportLogs = async (): Promise<Result<LogExport>> => ({ ok: false, error: DESKTOP_ONLY_ERROR });

  async useModel(id: string): Promise<Result<NodeState>> {
    const result = await this.modelControls.use(id);
    return result.ok ? { ok: true, value: this.state } : result;
  }

  private get state(): NodeState {
    return this.store.state;
  }

  /** Joins the coordinator once the wallet is open, and logs in again under a restored key. */
  private walletChanged(): void {
    const wallet = this.options.wallet.status();
    const address = wallet.address ?? "";
    const changed = address !== this.state.address;
    this.store.update({
      address,
      wallet: walletStatusView(wallet),
      ...(changed ? { earnings: { todayMicroUsd: 0, balanceMicroUsd: 0, jobsServed: 0 }, standing: CLEAR_STANDING } : {}),
    });
    if (changed) this.money.addressChanged();
    if (wallet.state === "ready" && !this.stopping) this.session.login(changed);
  }

  private onSettings(settings: Settings): void {
    if (settings.sharing !== this.state.sharing) void this.sharing.set(settings.sharing);
    // A reload reports itself when the new engine is up.
    if (this.slot.applySettings(settings)) return;
    this.store.update({});
    this.session.sendStatus();
  }

  private workerProblem(): string | null {
    return workerProblemOf(this.state.worker);
  }

  /** What the coordinator is told about this node. */
  private nodeStatus(): NodeStatus {
    const info = this.slot.info;
    return {
      sharing: this.sharing.effective && info !== null && !this.stopping && this.workerProblem() === null && !this.slot.blocked(),
      reason: this.state.reason,
      models: info ? [info.model] : [],
      capacity: info ? (info.capacity ?? 1) : 0,
      hardware: info?.hardware ?? { backend: "cpu", gpu: null, cpu: "unknown", memoryBytes: 0, vramBytes: null },
    };
  }
}
