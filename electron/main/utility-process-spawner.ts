/**
 * Starts inference workers as Electron utility processes (`utilityProcess.fork`), for the
 * desktop app. Same {@link WorkerSpawner} contract as the agent's Node child-process spawner:
 * messages go through `postMessage` / the `message` event (the worker answers on
 * `process.parentPort`), the environment is scrubbed the same way, and output lines are logged.
 */
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { utilityProcess, type ForkOptions, type UtilityProcess } from "electron";
import type { Logger } from "../../shared/logger";
import { silentLogger } from "../../shared/logger";
import type { AgentToWorkerMessage } from "../../shared/worker-protocol";
import { workerEnvironment, type WorkerHandle, type WorkerSpawner } from "../agent/worker-spawner";

/** The name the OS task manager and Electron's app metrics show for the worker. */
export const WORKER_SERVICE_NAME = "Offpeak inference worker";

/** The part of Electron's `utilityProcess` module the spawner uses. */
export interface UtilityProcessModule {
  fork(modulePath: string, args?: string[], options?: ForkOptions): UtilityProcess;
}

/** Options of {@link UtilityProcessSpawner}. */
export interface UtilityProcessSpawnerOptions {
  /** Receives the worker's stderr/stdout lines, tagged with its pid. */
  readonly logger?: Logger;
  /** A private home directory for the worker (its HOME); none is passed when absent. */
  readonly home?: string;
  /** The worker entry file; defaults to electron/worker/worker-main.ts. */
  readonly entry?: string;
  /** Node options of the worker; defaults to `--import tsx` (running from source). */
  readonly execArgv?: readonly string[];
  /** Working directory of the worker; defaults to the project root (where `tsx` resolves). */
  readonly cwd?: string;
  /** Environment the worker variables are taken from; defaults to `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** Electron's `utilityProcess`; replaceable in tests. */
  readonly utilityProcess?: UtilityProcessModule;
  /** Sends a signal to a process; defaults to `process.kill`. */
  readonly signalProcess?: (pid: number, signal: NodeJS.Signals) => void;
}

const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DEFAULT_ENTRY = fileURLToPath(new URL("../worker/worker-main.ts", import.meta.url));

/** Spawns workers as Electron utility processes with a scrubbed environment. */
export class UtilityProcessSpawner implements WorkerSpawner {
  constructor(private readonly options: UtilityProcessSpawnerOptions = {}) {}

  /** Starts a worker process. Electron must be ready (`app.whenReady()`). */
  spawn(): WorkerHandle {
    const { options } = this;
    const logger = options.logger ?? silentLogger;
    const env = workerEnvironment(options.env ?? process.env, options.home);
    try {
      const child = (options.utilityProcess ?? utilityProcess).fork(options.entry ?? DEFAULT_ENTRY, [], {
        serviceName: WORKER_SERVICE_NAME,
        env: env as Record<string, string>,
        execArgv: [...(options.execArgv ?? ["--import", "tsx"])],
        cwd: options.cwd ?? PROJECT_ROOT,
        stdio: "pipe",
      });
      return new UtilityWorkerHandle(child, logger, options.signalProcess ?? ((pid, signal) => process.kill(pid, signal)));
    } catch (error) {
      logger.error(`could not start the inference worker: ${error instanceof Error ? error.message : String(error)}`);
      return new UnstartedWorkerHandle();
    }
  }
}

class UtilityWorkerHandle implements WorkerHandle {
  private readonly exitCallbacks: ((code: number | null, signal: string | null) => void)[] = [];
  private exited: { code: number | null; signal: string | null } | null = null;
  /** The signal this side last sent, reported with a failed exit (Electron gives only a code). */
  private killedWith: NodeJS.Signals | null = null;

  constructor(
    private readonly child: UtilityProcess,
    private readonly logger: Logger,
    private readonly signalProcess: (pid: number, signal: NodeJS.Signals) => void,
  ) {
    for (const [stream, level] of [
      [child.stderr, "warn"],
      [child.stdout, "info"],
    ] as const) {
      if (!stream) continue;
      createInterface({ input: stream }).on("line", (line) => {
        if (line.trim()) logger[level](`worker ${child.pid ?? "?"}: ${line}`, { pid: child.pid });
      });
    }
    child.on("error", (type, location) => {
      logger.error(`worker ${child.pid ?? "?"}: ${type} at ${location}`, { pid: child.pid });
    });
    child.on("exit", (code) => this.finish(code, code !== 0 ? this.killedWith : null));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  send(message: AgentToWorkerMessage): void {
    if (this.exited) return;
    try {
      this.child.postMessage(message);
    } catch (error) {
      this.logger.warn(`worker ${this.child.pid ?? "?"}: message not delivered: ${error instanceof Error ? error.message : String(error)}`, { pid: this.child.pid });
    }
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
    this.killedWith = signal;
    const pid = this.child.pid;
    // utilityProcess.kill() sends SIGTERM only; a hung worker needs SIGKILL.
    if (signal !== "SIGTERM" && pid !== undefined) {
      try {
        this.signalProcess(pid, signal);
        return;
      } catch {
        // Gone already, or not ours to signal: fall back to Electron's own kill.
      }
    }
    this.child.kill();
  }

  private finish(code: number | null, signal: string | null): void {
    if (this.exited) return;
    this.exited = { code, signal };
    for (const callback of this.exitCallbacks.splice(0)) callback(code, signal);
  }
}

/** A worker that could not be started: it reports its exit (code and signal null) at once. */
class UnstartedWorkerHandle implements WorkerHandle {
  readonly pid = undefined;
  send(): void {}
  onMessage(): void {}
  onExit(callback: (code: number | null, signal: string | null) => void): void {
    queueMicrotask(() => callback(null, null));
  }
  kill(): void {}
}
