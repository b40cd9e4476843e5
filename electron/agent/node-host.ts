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
import { FileKeyStore, type KeyStore } from "./key-store";
import { locateModel } from "./models/model-locator";
import { NodeAgent } from "./node-agent";
import { ConfSettingsStore, type SettingsStore } from "./settings-store";
import { openWallet } from "./wallet";
import { WorkerSupervisor, type WorkerState } from "./worker-supervisor";
import { NodeWorkerSpawner, type WorkerSpawner } from "./worker-spawner";

export const AGENT_VERSION = "offpeak-node/0.1.0";

/** Where the built dashboard lives (`npm run build:renderer`). */
export const RENDERER_DIR = fileURLToPath(new URL("../../dist/renderer", import.meta.url));

export interface NodeHostOptions {
  readonly coordinatorUrl: string;
  readonly dataDir: string;
  readonly modelPath?: string;
  readonly logger: Logger;
  /** How the worker process is started (child process headless, utilityProcess in Electron). */
  readonly spawner?: WorkerSpawner;
  readonly keyStore?: KeyStore;
  /** The owner's settings; default: settings.json in the data folder. */
  readonly settings?: SettingsStore;
  readonly contextSize?: number;
  readonly threads?: number;
  readonly sharing?: boolean;
}

export interface NodeHost {
  readonly agent: NodeAgent;
  readonly paths: DataPaths;
  readonly dashboardUrl: string;
  /** The inference worker's process id while it runs. */
  workerPid(): number | undefined;
  stop(): Promise<void>;
}

/** Default inference threads: leave one core to the owner, at least one for the model. */
export function defaultThreads(cores: number): number {
  return Math.max(1, cores - 1);
}

/** What the owner should read about the worker, or null when it is fine. */
export function engineProblem(state: WorkerState): string | null {
  switch (state.kind) {
    case "restarting":
      return `the inference worker stopped (${state.reason}); restarting in ${Math.ceil(state.delayMs / 1000)} s`;
    case "crashed":
      return `the inference worker stopped (${state.reason})`;
    case "failed":
      return `the inference worker was stopped for good: ${state.reason}`;
    default:
      return null;
  }
}

/** Starts a node that joins the coordinator at `coordinatorUrl`. */
export async function startNodeHost(options: NodeHostOptions): Promise<NodeHost> {
  const { logger } = options;
  const paths = await prepareDataDir(options.dataDir);
  const settings = options.settings ?? new ConfSettingsStore(paths.root);
  const wallet = await openWallet(options.keyStore ?? new FileKeyStore(paths.root));
  const model = await locateModel({ modelPath: options.modelPath, modelsDir: paths.models, demoDir: paths.demo });
  logger.info("model chosen", { model: model.id, demo: model.demo });
  let agent: NodeAgent | null = null;
  const engine = new WorkerSupervisor({
    spawner: options.spawner ?? new NodeWorkerSpawner({ logger, home: paths.workerHome }),
    modelPath: model.path,
    modelId: model.id,
    modelLabel: model.label,
    demo: model.demo,
    contextSize: options.contextSize ?? settings.get().contextSize,
    threads: options.threads ?? defaultThreads(availableParallelism()),
    gpu: process.env.NODE_LLAMA_CPP_GPU !== "false",
    logger,
    onStateChange: (state) => agent?.setEngineProblem(engineProblem(state)),
  });
  agent = new NodeAgent({
    coordinatorUrl: options.coordinatorUrl,
    engine,
    wallet,
    logger,
    agentVersion: AGENT_VERSION,
    sharing: options.sharing ?? settings.get().sharing,
  });
  // The Share switch survives a restart.
  agent.onState((state) => {
    if (state.sharing !== settings.get().sharing) settings.update({ sharing: state.sharing });
  });
  const control = await startControlServer({ control: agent, staticDir: RENDERER_DIR, logger });
  try {
    await agent.start(model.path);
  } catch (error) {
    await control.close();
    await engine.stop();
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
    workerPid: () => engine.workerPid,
    async stop() {
      await removeControlFile(paths.controlFile);
      await control.close();
      await agent.stop();
    },
  };
}
