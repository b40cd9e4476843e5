/**
 * Starts inference worker processes. The agent depends on {@link WorkerSpawner} only; this file
 * has the Node implementation (child_process with an IPC channel). The desktop app supplies an
 * Electron utility-process spawner with the same interface.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { Logger } from "../../shared/logger";
import { silentLogger } from "../../shared/logger";
import type { AgentToWorkerMessage } from "../../shared/worker-protocol";

/** A running worker process. Incoming messages are unparsed: the receiver validates them. */
export interface WorkerHandle {
  readonly pid: number | undefined;
  /** Sends a message; silently dropped once the process has gone. */
  send(message: AgentToWorkerMessage): void;
  onMessage(callback: (message: unknown) => void): void;
  /** Called once when the process has ended (or could not be started: code and signal null). */
  onExit(callback: (code: number | null, signal: string | null) => void): void;
  kill(signal?: NodeJS.Signals): void;
  /**
   * Present where the worker's containment tightens once its model is loaded (Windows: no new
   * process from then on). The supervisor calls it after `loaded`, before any job; when it throws,
   * the worker must not serve.
   */
  seal?(): void;
}

/** A started worker's containment (see {@link NodeWorkerSpawnerOptions.contain}). */
export interface WorkerContainment {
  /** Tightens the containment once the model is loaded, before any job; throws when that fails. */
  seal(): void;
  /** Undoes the containment once the worker has exited. */
  release(): void;
}

/** Starts one worker process per call. */
export interface WorkerSpawner {
  spawn(): WorkerHandle;
}

/** Options of {@link NodeWorkerSpawner}. */
export interface NodeWorkerSpawnerOptions {
  /** Receives the worker's stderr/stdout lines, tagged with its pid. */
  readonly logger?: Logger;
  /** A private home directory for the worker (its HOME); none is passed when absent. */
  readonly home?: string;
  /** The worker entry file; defaults to electron/worker/worker-main.ts beside this file. */
  readonly entry?: string;
  /** Node options placed before the entry; defaults to `--import tsx` (running from source). */
  readonly execArgv?: readonly string[];
  /** Working directory of the worker; defaults to the project root (where `tsx` resolves). */
  readonly cwd?: string;
  /**
   * Rewrites the command, e.g. to run it inside an OS sandbox: `bwrap … node …`. It also receives
   * the (already scrubbed) environment the worker is given, so a sandbox that clears the
   * environment can pass those variables on.
   */
  readonly wrap?: (command: string, args: readonly string[], env: NodeJS.ProcessEnv) => [string, string[]];
  /** Environment the worker variables are taken from; defaults to `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Contains the worker by its pid right after it has started, e.g. in a Windows job object. Its
   * `seal` becomes the handle's {@link WorkerHandle.seal}; its `release` is called once the worker
   * has exited. When it throws, the worker is killed rather than run uncontained.
   */
  readonly contain?: (pid: number) => WorkerContainment;
}

/**
 * The worker's file descriptor of its IPC channel (the index of "ipc" in its stdio). Node tells the
 * child with NODE_CHANNEL_FD, in the serialization named by NODE_CHANNEL_SERIALIZATION_MODE.
 */
export const WORKER_IPC_FD = 3;
/** The serialization of the worker's IPC channel. */
export const WORKER_IPC_SERIALIZATION = "json";

const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DEFAULT_ENTRY = fileURLToPath(new URL("../worker/worker-main.ts", import.meta.url));

/** The only variables a worker sees: no tokens, keys or proxies reach it. */
export function workerEnvironment(source: NodeJS.ProcessEnv, home?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  if (source.PATH !== undefined) env.PATH = source.PATH;
  if (home !== undefined) env.HOME = home;
  if (source.LANG !== undefined) env.LANG = source.LANG;
  if (source.NODE_LLAMA_CPP_GPU !== undefined) env.NODE_LLAMA_CPP_GPU = source.NODE_LLAMA_CPP_GPU;
  // Inside the desktop app, process.execPath is Electron's binary: it runs the worker as plain Node.
  if (process.versions.electron !== undefined) env.ELECTRON_RUN_AS_NODE = "1";
  return env;
}

/** Spawns workers as Node child processes with an IPC channel and a scrubbed environment. */
export class NodeWorkerSpawner implements WorkerSpawner {
  constructor(private readonly options: NodeWorkerSpawnerOptions = {}) {}

  /** Starts a worker process. */
  spawn(): WorkerHandle {
    const { options } = this;
    const args = [...(options.execArgv ?? ["--import", "tsx"]), options.entry ?? DEFAULT_ENTRY];
    const env = workerEnvironment(options.env ?? process.env, options.home);
    const [command, finalArgs] = options.wrap ? options.wrap(process.execPath, args, env) : [process.execPath, args];
    const child = spawn(command, finalArgs, {
      cwd: options.cwd ?? PROJECT_ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      serialization: WORKER_IPC_SERIALIZATION,
      windowsHide: true,
    });
    const logger = options.logger ?? silentLogger;
    const seal = options.contain ? containChild(child, options.contain, logger) : undefined;
    return new ChildWorkerHandle(child, logger, seal);
  }
}

/** Contains the new worker; returns its seal (which throws when the worker is not contained). */
function containChild(child: ChildProcess, contain: (pid: number) => WorkerContainment, logger: Logger): () => void {
  const pid = child.pid;
  // A process that did not start has nothing to contain; it reports its failure as an exit.
  if (pid === undefined) return () => failSeal("the worker did not start");
  let containment: WorkerContainment;
  try {
    containment = contain(pid);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    logger.error(`worker ${pid}: could not be contained, so it is stopped: ${reason}`, { pid });
    child.kill("SIGKILL");
    return () => failSeal(`worker ${pid} could not be contained: ${reason}`);
  }
  child.once("exit", () => {
    try {
      containment.release();
    } catch (error) {
      logger.warn(`worker ${pid}: its containment was not released cleanly: ${error instanceof Error ? error.message : String(error)}`, { pid });
    }
  });
  return () => containment.seal();
}

function failSeal(reason: string): never {
  throw new Error(`cannot seal the worker's containment: ${reason}`);
}

class ChildWorkerHandle implements WorkerHandle {
  private readonly exitCallbacks: ((code: number | null, signal: string | null) => void)[] = [];
  private exited: { code: number | null; signal: string | null } | null = null;

  /** The containment's seal; undefined when the worker runs without a containment to seal. */
  readonly seal: (() => void) | undefined;

  constructor(
    private readonly child: ChildProcess,
    private readonly logger: Logger,
    seal?: () => void,
  ) {
    this.seal = seal;
    const pid = child.pid;
    for (const [stream, level] of [
      [child.stderr, "warn"],
      [child.stdout, "info"],
    ] as const) {
      if (!stream) continue;
      createInterface({ input: stream }).on("line", (line) => {
        if (line.trim()) logger[level](`worker ${pid ?? "?"}: ${line}`, { pid });
      });
    }
    child.on("error", (error) => {
      logger.error(`worker ${pid ?? "?"}: ${error.message}`, { pid });
      // A process that could not be started never emits "exit".
      if (child.pid === undefined) this.finish(null, null);
    });
    child.on("exit", (code, signal) => this.finish(code, signal));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  send(message: AgentToWorkerMessage): void {
    if (this.exited || !this.child.connected) return;
    this.child.send(message, (error) => {
      if (error) this.logger.warn(`worker ${this.child.pid ?? "?"}: message not delivered: ${error.message}`, { pid: this.child.pid });
    });
  }

  onMessage(callback: (message: unknown) => void): void {
    this.child.on("message", (message: unknown) => callback(message));
  }

  onExit(callback: (code: number | null, signal: string | null) => void): void {
    if (this.exited) callback(this.exited.code, this.exited.signal);
    else this.exitCallbacks.push(callback);
  }

  kill(signal: NodeJS.Signals = "SIGTERM"): void {
    if (this.exited) return;
    this.child.kill(signal);
  }

  private finish(code: number | null, signal: string | null): void {
    if (this.exited) return;
    this.exited = { code, signal };
    for (const callback of this.exitCallbacks.splice(0)) callback(code, signal);
  }
}
