/**
 * An in-memory {@link ControlApi} for tests of the UI side: it keeps one state object, the
 * owner's settings and a models view with a small catalog; it applies calls the way the agent
 * does (sharing moves the activity, a pull starts a download in `state.downloads`, Use changes
 * the served model) and pushes every state change to its listeners. Tests drive downloads with
 * {@link FakeControlApi.progressDownload}, {@link FakeControlApi.finishDownload} and
 * {@link FakeControlApi.failDownload}. Its wallet (fake-wallet.ts) backs up and restores real
 * phrases; {@link FakeWallet.lock} shows a locked keychain. Its withdrawals (fake-withdrawals.ts)
 * are checked as the coordinator checks them, and tests move them on with `withdrawals.advance`;
 * every change goes out in `state.withdrawals`, as the agent pushes them.
 */
import type {
  CatalogModelView,
  ControlApi,
  Diagnostics,
  DownloadProgress,
  InstalledModelView,
  ModelsView,
  NodeState,
  Result,
  WalletRestoreRequest,
} from "../../shared/control-api";
import { DESKTOP_ONLY_ERROR, WITHDRAWALS_IN_STATE } from "../../shared/control-api";
import { applySettingsPatch, DEFAULT_SETTINGS, type Settings } from "../../shared/settings";
import { decideSharing } from "../../shared/sharing-policy";
import type { EarningsRange, EarningsView } from "../../shared/earnings-view";
import { sampleEarningsView } from "./fake-earnings";
import { FakeWallet, SAMPLE_ADDRESS, sampleWalletStatus } from "./fake-wallet";
import { FakeWithdrawals } from "./fake-withdrawals";
import type { WithdrawalAsk } from "../../shared/withdrawal";
import { CLEAR_STANDING, statementProblem, type AppealView } from "../../shared/appeal";

const GB = 1024 ** 3;
const MB = 1024 ** 2;

/** A plausible node state: a demo model on a CPU, sandboxed, some earnings, not sharing. */
export function sampleNodeState(overrides: Partial<NodeState> = {}): NodeState {
  return {
    sharing: false,
    activity: "off",
    reason: "Off: sharing is switched off",
    address: SAMPLE_ADDRESS,
    coordinator: { url: "ws://127.0.0.1:4100/node", connected: true },
    model: { id: "offpeak-demo-tiny", label: "Offpeak demo (tiny)", path: "/models/demo.gguf", demo: true, contextSize: 512 },
    hardware: {
      backend: "cpu",
      gpu: null,
      cpu: "AMD EPYC 7B13 (2 cores)",
      memoryBytes: 8 * GB,
      vramBytes: null,
      backendReason: "No supported GPU found; using the CPU",
    },
    currentJob: null,
    lastJob: {
      jobId: "job-1",
      model: "offpeak-demo-tiny",
      completionTokens: 64,
      tokensPerSecond: 412.5,
      finishedAt: Date.UTC(2025, 0, 1, 12, 0, 0),
      finishReason: "length",
    },
    earnings: { todayMicroUsd: 1_234, balanceMicroUsd: 12_500_000, jobsServed: 3 },
    demoModel: true,
    sandbox: { kind: "bubblewrap", active: true, detail: "bubblewrap: no network, read-only code and models" },
    worker: { state: "ready", reason: null },
    warnings: [],
    downloads: [],
    decision: { share: true, reason: "Sharing: always on", nextChangeAt: null, pausedByOwner: false },
    signals: {
      latest: {
        now: Date.UTC(2025, 0, 1, 12, 0, 0),
        timeZone: "UTC",
        idleSeconds: 420,
        onBattery: null,
        thermal: null,
        game: null,
        processesKnown: true,
        fullscreenApp: null,
        fullscreenKnown: false,
        gpuBusyBy: null,
        gpuKnown: false,
        ownAppRunning: null,
        freeMemoryBytes: 5 * GB,
      },
      available: { idle: true, battery: false, thermal: false, processes: true, fullscreen: false, gpu: false, memory: true },
    },
    wallet: sampleWalletStatus(),
    withdrawals: { status: "ready", error: null, items: [] },
    standing: CLEAR_STANDING,
    ...overrides,
  };
}

/** What the coordinator says about a node nobody sends jobs to: no demand, others serve it. */
export function sampleDiagnostics(overrides: Partial<NonNullable<Diagnostics["coordinator"]>> = {}): NonNullable<Diagnostics["coordinator"]> {
  return {
    connected: true,
    seenSharing: true,
    jobsLastHour: 0,
    servedLastHour: 0,
    otherNodes: 3,
    queued: 0,
    notes: ["No demand for offpeak-demo-tiny in the last hour.", "3 other nodes serve offpeak-demo-tiny."],
    ...overrides,
  };
}

/** A small catalog with one model of each verdict for an 8 GB CPU-only machine. */
export function sampleCatalog(): CatalogModelView[] {
  return [
    {
      id: "qwen2.5-0.5b-instruct-q4_k_m",
      name: "Qwen2.5 0.5B Instruct",
      sizeBytes: 398 * MB,
      quantization: "Q4_K_M",
      licence: "Apache-2.0",
      minMemoryBytes: 1 * GB,
      verdict: "fits",
      verdictReason: "Fits: needs 1 GB, 6.2 GB of memory free",
      installed: false,
    },
    {
      id: "llama-3.2-3b-instruct-q4_k_m",
      name: "Llama 3.2 3B Instruct",
      sizeBytes: 2 * GB,
      quantization: "Q4_K_M",
      licence: "Llama 3.2 Community",
      minMemoryBytes: 3 * GB,
      verdict: "fits-slowly",
      verdictReason: "Fits slowly: no GPU, it runs on the CPU at a few tokens per second",
      installed: false,
    },
    {
      id: "llama-3.1-70b-instruct-q4_k_m",
      name: "Llama 3.1 70B Instruct",
      sizeBytes: 42 * GB,
      quantization: "Q4_K_M",
      licence: "Llama 3.1 Community",
      minMemoryBytes: 48 * GB,
      verdict: "does-not-fit",
      verdictReason: "Does not fit: needs 48 GB, this machine has 8 GB",
      installed: false,
    },
  ];
}

/** The demo model, installed and served. */
export function sampleInstalled(): InstalledModelView[] {
  return [{ id: "offpeak-demo-tiny", name: "Offpeak demo (tiny)", path: "/models/demo.gguf", bytes: 3 * MB, active: true, demo: true }];
}

/** A fake agent: its state can be changed from the test and every change is pushed. */
export class FakeControlApi implements ControlApi {
  private current: NodeState;
  private readonly listeners = new Set<(state: NodeState) => void>();
  private currentSettings: Settings;
  private models: ModelsView;
  private nextDownload = 1;
  /** Every setSharing call, in order. */
  readonly sharingCalls: boolean[] = [];
  /** Every updateSettings patch, in order. */
  readonly settingsCalls: Partial<Settings>[] = [];
  readonly pullCalls: string[] = [];
  readonly cancelCalls: string[] = [];
  readonly removeCalls: string[] = [];
  readonly useCalls: string[] = [];
  /** Every pause (its end, epoch ms) and resume ("resume"), in order. */
  readonly pauseCalls: (number | "resume")[] = [];
  /** The coordinator's side of getDiagnostics (null: not connected to a coordinator). */
  coordinatorView: Diagnostics["coordinator"] = sampleDiagnostics();
  /** The clock and time zone the sharing rules are judged with. */
  now: () => number = () => Date.now();
  timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  /** When set, calls fail with this message. */
  failWith: string | null = null;
  /** The wallet: backup and restore calls, and a keychain to lock. */
  readonly wallet: FakeWallet = new FakeWallet(this);
  /** Withdrawals: terms, balance and history; `withdrawals.advance` moves one on as the payout would. */
  readonly withdrawals: FakeWithdrawals = new FakeWithdrawals(SAMPLE_ADDRESS);

  constructor(
    initial: NodeState = sampleNodeState(),
    models: ModelsView = { installed: sampleInstalled(), catalog: sampleCatalog() },
    // Onboarded already: most specs start on the Dashboard; onboarding specs pass DEFAULT_SETTINGS.
    settings: Settings = { ...DEFAULT_SETTINGS, onboarded: true },
  ) {
    this.current = initial;
    this.models = models;
    this.currentSettings = settings;
    let available = this.withdrawals.terms.availableMicroUsd;
    // As the agent does: the withdrawals go out with the state, and the balance follows what they took or gave back.
    this.withdrawals.onChange = () => {
      const moved = this.withdrawals.terms.availableMicroUsd - available;
      available = this.withdrawals.terms.availableMicroUsd;
      this.update({
        withdrawals: { status: "ready", error: null, items: this.withdrawals.history.slice(0, WITHDRAWALS_IN_STATE) },
        earnings: { ...this.current.earnings, balanceMicroUsd: Math.max(0, this.current.earnings.balanceMicroUsd + moved) },
      });
    };
  }

  get state(): NodeState {
    return this.current;
  }

  get settings(): Settings {
    return this.currentSettings;
  }

  get modelsView(): ModelsView {
    return this.models;
  }

  /** Replaces part of the state and pushes the result, as the agent does on any change. */
  update(patch: Partial<NodeState>): void {
    this.current = { ...this.current, ...patch };
    for (const listener of this.listeners) listener(this.current);
  }

  /** Replaces the models view (the next listModels answers with it). */
  setModels(models: ModelsView): void {
    this.models = models;
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  async getState(): Promise<Result<NodeState>> {
    if (this.failWith !== null) return { ok: false, error: this.failWith };
    return { ok: true, value: this.current };
  }

  async setSharing(on: boolean): Promise<Result<NodeState>> {
    this.sharingCalls.push(on);
    if (this.failWith !== null) return { ok: false, error: this.failWith };
    this.currentSettings = { ...this.currentSettings, sharing: on };
    if (on) this.applyRules({ sharing: true, activity: "ready", reason: "Ready: waiting for jobs" });
    else this.update({ sharing: false, activity: "off", reason: "Off: sharing is switched off" });
    return { ok: true, value: this.current };
  }

  onState(listener: (state: NodeState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async getSettings(): Promise<Result<Settings>> {
    if (this.failWith !== null) return { ok: false, error: this.failWith };
    return { ok: true, value: this.currentSettings };
  }

  async updateSettings(patch: Partial<Settings>): Promise<Result<Settings>> {
    this.settingsCalls.push(patch);
    if (this.failWith !== null) return { ok: false, error: this.failWith };
    try {
      this.currentSettings = applySettingsPatch(this.currentSettings, patch);
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
    if (patch.rules !== undefined) this.applyRules();
    return { ok: true, value: this.currentSettings };
  }

  async listModels(): Promise<Result<ModelsView>> {
    if (this.failWith !== null) return { ok: false, error: this.failWith };
    return { ok: true, value: this.models };
  }

  /** Starts a download of a catalog id, `hf:` URI or URL: it shows in `state.downloads` at 0 bytes. */
  async pullModel(ref: string): Promise<Result<null>> {
    this.pullCalls.push(ref);
    if (this.failWith !== null) return { ok: false, error: this.failWith };
    const entry = this.models.catalog.find((m) => m.id === ref);
    const isAddress = ref.startsWith("hf:") || /^https?:\/\//.test(ref);
    if (!entry && !isAddress) return { ok: false, error: `No model "${ref}" in the catalog; give an hf: URI or a URL.` };
    const download: DownloadProgress = {
      id: `download-${this.nextDownload++}`,
      name: entry?.name ?? ref.split("/").at(-1) ?? ref,
      receivedBytes: 0,
      totalBytes: entry?.sizeBytes ?? null,
      bytesPerSecond: 0,
      etaSeconds: null,
      state: "downloading",
      error: null,
    };
    this.update({ downloads: [...this.current.downloads, download] });
    return { ok: true, value: null };
  }

  async cancelDownload(id: string): Promise<Result<null>> {
    this.cancelCalls.push(id);
    if (this.failWith !== null) return { ok: false, error: this.failWith };
    const download = this.current.downloads.find((d) => d.id === id);
    if (!download || download.state !== "downloading") return { ok: false, error: "No such download in progress." };
    this.patchDownload(id, { state: "cancelled", bytesPerSecond: 0, etaSeconds: null });
    return { ok: true, value: null };
  }

  async removeModel(id: string): Promise<Result<null>> {
    this.removeCalls.push(id);
    if (this.failWith !== null) return { ok: false, error: this.failWith };
    const model = this.models.installed.find((m) => m.id === id);
    if (!model) return { ok: false, error: "No such model on this machine." };
    if (model.active) return { ok: false, error: "This model is being served; use another one first." };
    this.models = {
      installed: this.models.installed.filter((m) => m.id !== id),
      catalog: this.models.catalog.map((m) => (m.id === id ? { ...m, installed: false } : m)),
    };
    return { ok: true, value: null };
  }

  async useModel(id: string): Promise<Result<NodeState>> {
    this.useCalls.push(id);
    if (this.failWith !== null) return { ok: false, error: this.failWith };
    const model = this.models.installed.find((m) => m.id === id);
    if (!model) return { ok: false, error: "No such model on this machine." };
    this.models = { ...this.models, installed: this.models.installed.map((m) => ({ ...m, active: m.id === id })) };
    this.update({
      model: { id: model.id, label: model.name, path: model.path, demo: model.demo, contextSize: this.currentSettings.contextSize },
      demoModel: model.demo,
    });
    return { ok: true, value: this.current };
  }

  /**
   * Pauses until `until` as the agent does: the rules keep the end, the policy's decision says
   * "Paused until 14:30" and, while sharing is on, the activity is "paused".
   */
  async pause(until: number): Promise<Result<NodeState>> {
    this.pauseCalls.push(until);
    if (this.failWith !== null) return { ok: false, error: this.failWith };
    if (!Number.isInteger(until) || until <= this.now()) return { ok: false, error: "A pause must end in the future." };
    this.currentSettings = { ...this.currentSettings, rules: { ...this.currentSettings.rules, pausedUntil: until } };
    this.applyRules();
    return { ok: true, value: this.current };
  }

  /** Ends a pause: the rules decide again and, when they share, the node is ready. */
  async resume(): Promise<Result<NodeState>> {
    this.pauseCalls.push("resume");
    if (this.failWith !== null) return { ok: false, error: this.failWith };
    this.currentSettings = { ...this.currentSettings, rules: { ...this.currentSettings.rules, pausedUntil: null } };
    this.applyRules();
    return { ok: true, value: this.current };
  }

  /**
   * Judges the owner's rules against the last signals (with this fake's clock), applies the
   * decision to the activity while sharing, and pushes the result with `base` in one change.
   */
  private applyRules(base: Partial<NodeState> = {}): void {
    const next = { ...this.current, ...base };
    const latest = next.signals.latest ?? sampleNodeState().signals.latest;
    if (latest === null) return this.update(base);
    const decision = decideSharing(this.currentSettings.rules, { ...latest, now: this.now(), timeZone: this.timeZone });
    const patch: Partial<NodeState> = { ...base, decision };
    if (next.sharing && !decision.share) Object.assign(patch, { activity: "paused", reason: decision.reason, currentJob: null });
    if (next.sharing && decision.share && next.activity === "paused") Object.assign(patch, { activity: "ready", reason: "Ready: waiting for jobs" });
    this.update(patch);
  }

  /** Every getEarnings period asked for, in order. */
  readonly earningsCalls: EarningsRange[] = [];
  /** What getEarnings answers for a period (default: a sample with a pending and a missing receipt). */
  earnings: (range: EarningsRange) => Result<EarningsView> = (range) => ({ ok: true, value: sampleEarningsView(range, this.now()) });

  async getEarnings(range: EarningsRange): Promise<Result<EarningsView>> {
    this.earningsCalls.push(range);
    if (this.failWith !== null) return { ok: false, error: this.failWith };
    return this.earnings(range);
  }

  /** The node's own answer (its decision) and {@link coordinatorView}. */
  async getDiagnostics(): Promise<Result<Diagnostics>> {
    if (this.failWith !== null) return { ok: false, error: this.failWith };
    const { decision } = this.current;
    const node = this.current.sharing ? { share: decision.share, reason: decision.reason } : { share: false, reason: this.current.reason };
    return { ok: true, value: { node, coordinator: this.coordinatorView } };
  }

  async getWallet() {
    if (this.failWith !== null) return { ok: false as const, error: this.failWith };
    return { ok: true as const, value: this.wallet.view() };
  }

  unlockWallet = () => this.wallet.unlock();
  backupWallet = (confirm: true) => this.wallet.backup(confirm);
  restoreWallet = (request: WalletRestoreRequest) => this.wallet.restore(request);
  getWithdrawalTerms = () => (this.failWith !== null ? Promise.resolve({ ok: false as const, error: this.failWith }) : this.withdrawals.getTerms());
  withdraw = (request: WithdrawalAsk) => this.withdrawals.withdraw(request);
  listWithdrawals = () => (this.failWith !== null ? Promise.resolve({ ok: false as const, error: this.failWith }) : this.withdrawals.list());

  /** Statements appealed, in order; while `appealGate` is set an appeal waits for it; `appealRefusal` refuses the next. */
  readonly appeals: string[] = [];
  appealGate: Promise<void> | null = null;
  appealRefusal: string | null = null;
  async appeal(statement: string): Promise<Result<AppealView>> {
    // As the agent does: a statement it cannot send is refused before anything is signed.
    const problem = statementProblem(statement);
    if (problem !== null) return { ok: false, error: `Cannot send this appeal: ${problem}.` };
    await this.appealGate;
    if (this.appealRefusal !== null) {
      const error = this.appealRefusal;
      this.appealRefusal = null;
      return { ok: false, error };
    }
    this.appeals.push(statement.trim());
    const appeal: AppealView = { id: String(this.appeals.length), status: "open", statement: statement.trim(), createdAt: Date.UTC(2025, 2, 2, 9, 0), decidedAt: null, reason: null };
    this.update({ standing: { ...this.current.standing, appeal, forfeitAt: null } });
    return { ok: true, value: appeal };
  }

  /** Calls of showLogs and exportLogs, in order. */
  readonly logCalls: ("show" | "export")[] = [];
  /** Headless by default; a test of the desktop's Settings sets where the export goes. */
  logExportPath: string | null = null;
  async showLogs(): Promise<Result<null>> {
    this.logCalls.push("show");
    return this.logExportPath === null ? { ok: false, error: DESKTOP_ONLY_ERROR } : { ok: true, value: null };
  }
  async exportLogs(): Promise<Result<{ path: string }>> {
    this.logCalls.push("export");
    return this.logExportPath === null ? { ok: false, error: DESKTOP_ONLY_ERROR } : { ok: true, value: { path: this.logExportPath } };
  }

  /** Moves a download on: bytes received so far, speed and time left. */
  progressDownload(id: string, receivedBytes: number, bytesPerSecond = 8 * MB): void {
    const download = this.current.downloads.find((d) => d.id === id);
    if (!download) throw new Error(`no download ${id}`);
    const left = download.totalBytes === null ? null : Math.max(0, download.totalBytes - receivedBytes);
    this.patchDownload(id, {
      receivedBytes,
      bytesPerSecond,
      etaSeconds: left === null || bytesPerSecond === 0 ? null : Math.round(left / bytesPerSecond),
    });
  }

  /** Ends a download well: the model is installed (and its catalog entry says so). */
  finishDownload(id: string): void {
    const download = this.current.downloads.find((d) => d.id === id);
    if (!download) throw new Error(`no download ${id}`);
    const entry = this.models.catalog.find((m) => m.name === download.name);
    const bytes = download.totalBytes ?? download.receivedBytes;
    const modelId = entry?.id ?? download.name.replace(/\.gguf$/i, "");
    this.models = {
      installed: [...this.models.installed, { id: modelId, name: download.name, path: `/models/${modelId}.gguf`, bytes, active: false, demo: false }],
      catalog: this.models.catalog.map((m) => (m === entry ? { ...m, installed: true } : m)),
    };
    this.patchDownload(id, { state: "done", receivedBytes: bytes, bytesPerSecond: 0, etaSeconds: 0 });
  }

  /** Ends a download with an error. */
  failDownload(id: string, error: string): void {
    this.patchDownload(id, { state: "failed", error, bytesPerSecond: 0, etaSeconds: null });
  }

  private patchDownload(id: string, patch: Partial<DownloadProgress>): void {
    this.update({ downloads: this.current.downloads.map((d) => (d.id === id ? { ...d, ...patch } : d)) });
  }
}
