/**
 * Test and bench support: a coordinator in a child process (bench/load-server.ts, kind
 * `coordinator-db`) on a given database and port, that can be SIGKILLed and started again on the
 * same port and database. An exit nobody asked for (a crash, an unhandled rejection) is recorded.
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { LoadServerReply } from "../../bench/load-server";

const SERVER_SCRIPT = fileURLToPath(new URL("../../bench/load-server.ts", import.meta.url));
const START_TIMEOUT_MS = 60_000;

/** Settings passed to the child (see bench/load-server.ts). */
export interface CoordinatorProcessOptions {
  readonly dbUrl: string;
  readonly dispatchTimeoutMs?: number;
  readonly maxQueueWaitMs?: number;
  readonly heartbeatMs?: number;
}

/** A coordinator child process that survives its own restarts. */
export class CoordinatorProcess {
  private child: ChildProcess | null = null;
  private expectingExit = false;
  private port = 0;
  /** Exits that were not asked for, with their code or signal. */
  readonly unexpectedExits: string[] = [];
  url = "";
  wsUrl = "";

  constructor(private readonly options: CoordinatorProcessOptions) {}

  /** True while a child is running. */
  get running(): boolean {
    return this.child !== null;
  }

  /** Starts the child (on the port of the previous run, if any) and waits for it to listen. */
  async start(): Promise<void> {
    if (this.child) throw new Error("the coordinator is already running");
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      BENCH_LOAD_DB: this.options.dbUrl,
      BENCH_LOAD_PORT: String(this.port),
      ...(this.options.dispatchTimeoutMs ? { BENCH_LOAD_DISPATCH_TIMEOUT_MS: String(this.options.dispatchTimeoutMs) } : {}),
      ...(this.options.maxQueueWaitMs ? { BENCH_LOAD_QUEUE_WAIT_MS: String(this.options.maxQueueWaitMs) } : {}),
      ...(this.options.heartbeatMs ? { BENCH_LOAD_HEARTBEAT_MS: String(this.options.heartbeatMs) } : {}),
    };
    const child = fork(SERVER_SCRIPT, ["coordinator-db"], { execArgv: ["--import", "tsx"], env, stdio: ["ignore", "inherit", "inherit", "ipc"] });
    this.expectingExit = false;
    const ready = await new Promise<LoadServerReply>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the coordinator did not start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      child.once("message", (m: LoadServerReply) => {
        clearTimeout(timer);
        resolve(m);
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the coordinator exited while starting (${signal ?? `code ${code}`})`));
      });
    }).catch((err: unknown) => {
      child.kill("SIGKILL");
      throw err;
    });
    if (ready.type !== "ready") {
      child.kill("SIGKILL");
      throw new Error(`the coordinator did not start: ${ready.type === "failed" ? ready.error : ready.type}`);
    }
    this.child = child;
    child.once("exit", (code, signal) => {
      if (this.child === child) this.child = null;
      if (!this.expectingExit) this.unexpectedExits.push(signal ?? `code ${code}`);
    });
    this.url = ready.url;
    this.wsUrl = ready.wsUrl;
    this.port = Number(new URL(ready.url).port);
  }

  /** SIGKILLs the child (a crash: nothing is closed or flushed) and waits for it to be gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.expectingExit = true;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill("SIGKILL");
    await exited;
    this.child = null;
  }

  /** Asks the child to close and exit (bounded; killed if it hangs). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.expectingExit = true;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    child.send({ cmd: "stop" });
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
    this.child = null;
  }
}
