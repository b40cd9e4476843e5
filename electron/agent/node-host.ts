/**
 * Puts a node together: data folder, wallet, model, worker, agent and the local control server
 * that serves the dashboard. Used by `offpeak node`, `offpeak up` and the desktop app.
 */
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import type { Logger } from "../../shared/logger";
import { writeControlFile, removeControlFile } from "./control-file";
import { startControlServer } from "./control-server";
import { prepareDataDir, type DataPaths } from "./data-dir";
import type { KeyStore } from "./key-store";
import { chooseKeyStore } from "./node-key-store";
import { locateModel } from "./models/model-locator";
import { NodeAgent } from "./node-agent";
import { ConfSettingsStore, type SettingsStore } from "./settings-store";
import { WalletVault } from "./wallet";
import type { WorkerStatus } from "../../shared/control-api";
import type { InferenceEngine } from "./inference";
import { CATALOG } from "./models/catalog";
import { ModelLibrary } from "./models/model-library";
import type { InstalledModel } from "./models/model-manager";
import { MachineJudge, modelDirsFor } from "./node-host-support";
import { detectSandbox, type SandboxPlan } from "./sandbox/sandbox";
import { WorkerSupervisor, type WorkerState } from "./worker-supervisor";
import { NodeWorkerSpawner, type WorkerSpawner } from "./worker-spawner";
import { SharingMonitor } from "./sharing-monitor";
import type { SignalSources } from "./signals/signal-sources";
import { createSignalSampler } from "./signals/create-signal-sampler";
import type { SignalSampler } from "./signals/signal-sampler";
import { ReceiptLog } from "./receipt-log";

export const AGENT_VERSION = "offpeak-node/0.1.0";

/** The app's code: what the sandboxed worker may read besides the models. */
export const APP_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Where the built dashboard lives (`npm run build:renderer`). */
export const RENDERER_DIR = fileURLToPath(new URL("../../dist/renderer", import.meta.url));

export interface NodeHostOptions {
  readonly coordinatorUrl: string;
  readonly dataDir: string;
  readonly modelPath?: string;
  readonly logger: Logger;
  /**
   * How the worker process is started when it is not wrapped in a sandbox command (the desktop
   * app passes its utilityProcess spawner here). A sandboxed worker is always a child process
   * started through the sandbox's command (bwrap, sandbox-exec), since Electron's utilityProcess
   * cannot be wrapped.
   */
  readonly spawner?: WorkerSpawner;
  /** Where the wallet key lives; default: the OS keychain, or the file when OFFPEAK_KEY_STORE=file. */
  readonly keyStore?: KeyStore;
  /** The owner's settings; default: settings.json in the data folder. */
  readonly settings?: SettingsStore;
  /** The worker's sandbox; default: the one this machine offers (bubblewrap, sandbox-exec). */
  readonly sandbox?: SandboxPlan;
  readonly contextSize?: number;
  readonly threads?: number;
  readonly sharing?: boolean;
  /** Where the sharing signals come from; default: this platform's own sources (the desktop app passes its own). */
  readonly sampler?: SignalSampler;
  /** Sources that replace some of this platform's own (the desktop app's powerMonitor); ignored with `sampler`. */
  readonly signalSources?: Partial<SignalSources>;
  /** Time between samples of the sharing signals (default 1 s). */
  readonly sampleIntervalMs?: number;
}

export interface NodeHost {
  readonly agent: NodeAgent;
  readonly paths: DataPaths;
  readonly dashboardUrl: string;
  /** Samples the signals and applies the sharing rules; `poke()` it on an OS power or lock event. */
  readonly monitor: SharingMonitor;
  /** The inference worker's process id while it runs. */
  workerPid(): number | undefined;
  stop(): Promise<void>;
}

/** Default inference threads: leave one core to the owner, at least one for the model. */
export function defaultThreads(cores: number): number {
  return Math.max(1, cores - 1);
}

/** The worker's life as the owner reads it, from the supervisor's state. */
export function workerStatus(state: WorkerState): WorkerStatus {
  switch (state.kind) {
    case "ready":
    case "starting":
    case "stopped":
      return { state: state.kind, reason: null };
    case "crashed":
      return { state: "restarting", reason: `the inference worker stopped (${state.reason})` };
    case "restarting":
      return { state: "restarting", reason: `the inference worker stopped (${state.reason}); restarting in ${Math.ceil(state.delayMs / 1000)} s` };
    default:
      return { state: state.kind, reason: "reason" in state ? String(state.reason) : null };
  }
}

/** Starts a node that joins the coordinator at `coordinatorUrl`. */
export async function startNodeHost(options: NodeHostOptions): Promise<NodeHost> {
  const { logger } = options;
  const paths = await prepareDataDir(options.dataDir);
  const settings = options.settings ?? new ConfSettingsStore(paths.root);
  if (options.sharing !== undefined) settings.update({ sharing: options.sharing });
  // A wallet that cannot open (keychain locked or missing) leaves the node up, saying why, and off the network.
  const wallet = new WalletVault(options.keyStore ?? chooseKeyStore({ dataDir: paths.root, logger }), logger);
  await wallet.open();
  const located = await locateModel({ modelPath: options.modelPath, modelsDir: paths.models, demoDir: paths.demo });
  logger.info("model chosen", { model: located.id, demo: located.demo });
  const sandbox =
    options.sandbox ??
    (await detectSandbox({ appRoot: APP_ROOT, modelDirs: modelDirsFor(paths, located.path), workerHome: paths.workerHome }));
  const judge = new MachineJudge();
  await judge.refresh(null);
  const library = new ModelLibrary({
    modelsDir: paths.models,
    demoDir: paths.demo,
    catalog: CATALOG,
    judge: judge.judge,
    logger,
  });

  let agent: NodeAgent | null = null;
  let engine: WorkerSupervisor | null = null;
  const createEngine = (model: InstalledModel, sandboxed: boolean): InferenceEngine => {
    const current = settings.get();
    const wrap = sandboxed ? (sandbox.wrap ?? undefined) : undefined;
    const contain = sandboxed ? (sandbox.contain ?? undefined) : undefined;
    engine = new WorkerSupervisor({
      spawner: (!wrap && !contain && options.spawner) || new NodeWorkerSpawner({ logger, home: paths.workerHome, wrap, contain }),
      sequences: current.parallelSequences,
      idleUnloadMs: current.idleUnloadMinutes * 60_000,
      modelPath: model.path,
      modelId: model.id,
      modelLabel: model.name,
      demo: model.demo,
      contextSize: options.contextSize ?? current.contextSize,
      threads: options.threads ?? defaultThreads(availableParallelism()),
      gpu: process.env.NODE_LLAMA_CPP_GPU !== "false",
      logger,
      onStateChange: (state) => agent?.setWorkerStatus(workerStatus(state)),
    });
    return engine;
  };
  agent = new NodeAgent({
    coordinatorUrl: options.coordinatorUrl,
    wallet,
    logger,
    agentVersion: AGENT_VERSION,
    model: { id: located.id, name: located.label, path: located.path, bytes: 0, demo: located.demo },
    createEngine,
    settings,
    sandbox: sandbox.status,
    models: library,
    receiptLog: new ReceiptLog(paths.receiptLog, options.coordinatorUrl),
  });
  const monitor = new SharingMonitor({
    sampler:
      options.sampler ??
      createSignalSampler({
        ownApps: () => settings.get().rules.ownApps,
        excludePids: () => {
          const pid = engine?.workerPid;
          return pid === undefined ? [] : [pid];
        },
        sources: options.signalSources,
        logger,
      }),
    rules: () => settings.get().rules,
    onRulesChange: (listener) => settings.onChange(listener),
    target: agent,
    logger,
    intervalMs: options.sampleIntervalMs,
  });
  agent.onState((state) => {
    judge.refresh(state.hardware).catch((error: Error) => logger.warn("could not read the machine's memory", { error: error.message }));
  });
  const control = await startControlServer({ control: agent, staticDir: RENDERER_DIR, logger });
  try {
    // The first decision is known before the node connects and advertises itself.
    await monitor.start();
    await agent.start();
  } catch (error) {
    await monitor.stop();
    await control.close();
    await agent.stop();
    throw error;
  }
  await writeControlFile(paths.controlFile, {
    pid: process.pid,
    port: control.port,
    token: control.token,
    dashboardUrl: control.url,
    startedAt: Date.now(),
  });
  return {
    agent,
    paths,
    dashboardUrl: control.url,
    monitor,
    workerPid: () => engine?.workerPid,
    async stop() {
      await removeControlFile(paths.controlFile);
      await monitor.stop();
      await control.close();
      await agent.stop();
    },
  };
}
