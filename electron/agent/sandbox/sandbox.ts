/**
 * The OS sandbox of the inference worker. A node runs strangers' prompts and parses downloaded
 * model files in the worker, so the worker must not reach the network or the owner's files.
 * {@link detectSandbox} finds what this machine offers (bubblewrap on Linux, sandbox-exec on
 * macOS, a job object on Windows), checks that it really works, and returns a `wrap` (or, on
 * Windows, a `contain`) for the worker spawner plus a status line for the UI.
 */
import { spawn } from "node:child_process";
import { accessSync, constants, existsSync, mkdirSync } from "node:fs";
import { totalmem } from "node:os";
import { delimiter, join } from "node:path";
import type { SandboxStatus } from "../../../shared/control-api";
import type { WorkerContainment } from "../worker-spawner";
import { bubblewrapArgs, bubblewrapLayout, describeBubblewrap, workerTmpDir, type BubblewrapLayout } from "./bubblewrap";
import { DEFAULT_PROFILE_PATH, SANDBOX_EXEC, describeSandboxExec, sandboxExecArgs, sandboxExecParams } from "./sandbox-exec";
import { createWorkerJob, defaultWorkerMemoryLimit, describeJobObject, loadKernel32, type Kernel32, type WorkerJob } from "./windows-job";

/** Rewrites a command so that it runs inside the sandbox; `env` is the worker's scrubbed environment. */
export type SandboxWrap = (command: string, args: readonly string[], env?: NodeJS.ProcessEnv) => [string, string[]];

/** Options of a {@link SandboxCommand}. */
export interface SandboxCommandOptions {
  /**
   * The process is started with Node's IPC channel as its fd 3 (stdio `[…, …, …, "ipc"]`), as the
   * worker spawner does; default true. Without the channel, pass false: Node aborts when told of
   * a channel it does not have.
   */
  readonly ipc?: boolean;
  /** The environment the process would get outside the sandbox; only the variables the worker needs pass. */
  readonly env?: NodeJS.ProcessEnv;
}

/** Rewrites any command (a worker, a probe, a benchmark) to run inside the sandbox. */
export type SandboxCommand = (command: string, args: readonly string[], options?: SandboxCommandOptions) => [string, string[]];

/**
 * Contains a worker that has just started (Windows: puts it in its own job object); throws when
 * that fails, and the worker must then not run. Returns its `seal`, to call once the model is
 * loaded and before any job (Windows: no new process from then on), and its `release`, to call
 * once it has exited.
 */
export type SandboxContain = (pid: number) => WorkerContainment;

/** What {@link detectSandbox} found: the status to show, and the wrap to hand to the worker spawner (null: none). */
export interface SandboxPlan {
  readonly status: SandboxStatus;
  /** For `new NodeWorkerSpawner({ wrap })`; null when the worker runs without a sandbox. */
  readonly wrap: SandboxWrap | null;
  /** The same sandbox for other commands; null when there is none. */
  readonly command: SandboxCommand | null;
  /**
   * For `new NodeWorkerSpawner({ contain })`: containment applied to the worker's pid once it has
   * started (the Windows job object). Absent or null where the sandbox is all in `wrap`.
   */
  readonly contain?: SandboxContain | null;
}

/** The outcome of running a short command. */
export interface RunResult {
  readonly code: number | null;
  readonly output: string;
}

/** Options of {@link detectSandbox}. */
export interface DetectSandboxOptions {
  readonly platform?: NodeJS.Platform;
  /** The app's code (the repository, or the app bundle's resources): read-only inside. */
  readonly appRoot: string;
  /** Folders the models are read from: read-only inside. Missing folders are left out. */
  readonly modelDirs: readonly string[];
  /** The worker's private writable home (created when missing). */
  readonly workerHome: string;
  /** The executable that runs the worker (default: this process's). */
  readonly nodeBinary?: string;
  /** Finds an executable on the PATH (injectable for tests). */
  readonly which?: (command: string) => string | null;
  /** Runs a short probe command (injectable for tests). */
  readonly run?: (command: string, args: readonly string[]) => Promise<RunResult>;
  /** The macOS profile (default: resources/sandbox/worker.sb of the source tree). */
  readonly profilePath?: string;
  /** Overrides the scan of /dev for GPU devices (Linux; for tests). */
  readonly gpuDevices?: readonly string[];
  /** The most memory the worker may commit (Windows; default: the machine's memory less 2 GB, at least 2 GB). */
  readonly memoryLimitBytes?: number;
  /** The machine's memory in bytes (default: os.totalmem(); for tests). */
  readonly totalMemoryBytes?: number;
  /** Creates one worker's job object (Windows; default: through kernel32; for tests). */
  readonly createJob?: (options: { readonly memoryLimitBytes: number }) => WorkerJob;
}

const INSTALL_HINT = "apt install bubblewrap (Debian, Ubuntu), dnf install bubblewrap (Fedora), pacman -S bubblewrap (Arch)";

/** Finds what sandbox this machine offers for the worker and checks that it runs. */
export async function detectSandbox(options: DetectSandboxOptions): Promise<SandboxPlan> {
  const platform = options.platform ?? process.platform;
  const which = options.which ?? findExecutable;
  const run = options.run ?? runCommand;
  const nodeBinary = options.nodeBinary ?? process.execPath;
  if (platform === "linux") return detectBubblewrap(options, nodeBinary, which, run);
  if (platform === "darwin") return detectSandboxExec(options, nodeBinary, which, run);
  if (platform === "win32") return detectJobObject(options);
  return none(`no sandbox is known for ${platform}: the worker runs without one`);
}

/**
 * The command line that runs `command args` in the plan's sandbox (unchanged when there is none),
 * e.g. for a benchmark of the worker's speed sandboxed and not.
 */
export function sandboxCommandFor(plan: SandboxPlan, command: string, args: readonly string[], options?: SandboxCommandOptions): [string, string[]] {
  return plan.command ? plan.command(command, args, options) : [command, [...args]];
}

async function detectBubblewrap(
  options: DetectSandboxOptions,
  nodeBinary: string,
  which: (command: string) => string | null,
  run: (command: string, args: readonly string[]) => Promise<RunResult>,
): Promise<SandboxPlan> {
  const bwrap = which("bwrap");
  if (!bwrap) return none(`bubblewrap is not installed, so the worker runs without a sandbox: ${INSTALL_HINT}`);
  const basic = await run(bwrap, ["--unshare-all", "--ro-bind", "/", "/", "true"]);
  if (basic.code !== 0) {
    return none(
      `user namespaces are disabled, so bubblewrap cannot run and the worker runs without a sandbox (${firstLine(basic.output)}); ` +
        "allow them (sysctl kernel.unprivileged_userns_clone=1; on Ubuntu 24.04 an AppArmor profile for bwrap or kernel.apparmor_restrict_unprivileged_userns=0)",
    );
  }
  let layout: BubblewrapLayout;
  try {
    mkdirSync(workerTmpDir(options.workerHome), { recursive: true, mode: 0o700 });
    layout = bubblewrapLayout({
      appRoot: options.appRoot,
      modelDirs: options.modelDirs.filter((dir) => existsSync(dir)),
      workerHome: options.workerHome,
      nodeBinary,
      gpuDevices: options.gpuDevices,
    });
  } catch (error) {
    return none(`the sandbox's folders could not be prepared, so the worker runs without a sandbox: ${errorMessage(error)}`);
  }
  // The worker's own command line, with a no-op script: proves the mounts are enough for Node.
  const probe = await run(bwrap, bubblewrapArgs(layout, nodeBinary, ["-e", "process.exit(0)"], { ipc: false }));
  if (probe.code !== 0) {
    return none(`bubblewrap is installed but Node does not start inside it, so the worker runs without a sandbox: ${firstLine(probe.output)}`);
  }
  const sandboxed: SandboxCommand = (command, args, commandOptions = {}) => [
    bwrap,
    bubblewrapArgs(layout, command, args, { ipc: commandOptions.ipc ?? true, env: commandOptions.env }),
  ];
  return {
    status: { kind: "bubblewrap", active: true, detail: describeBubblewrap(layout) },
    wrap: (command, args, env) => sandboxed(command, args, { ipc: true, env }),
    command: sandboxed,
  };
}

async function detectSandboxExec(
  options: DetectSandboxOptions,
  nodeBinary: string,
  which: (command: string) => string | null,
  run: (command: string, args: readonly string[]) => Promise<RunResult>,
): Promise<SandboxPlan> {
  const sandboxExec = which("sandbox-exec") ?? (isExecutable(SANDBOX_EXEC) ? SANDBOX_EXEC : null);
  if (!sandboxExec) return none("sandbox-exec is missing from this Mac, so the worker runs without a sandbox");
  const profile = options.profilePath ?? DEFAULT_PROFILE_PATH;
  let params;
  try {
    mkdirSync(options.workerHome, { recursive: true, mode: 0o700 });
    params = sandboxExecParams({
      appRoot: options.appRoot,
      modelDirs: options.modelDirs.filter((dir) => existsSync(dir)),
      workerHome: options.workerHome,
      nodeBinary,
      // The worker's environment carries no TMPDIR, so Node's temp folder is /tmp.
      tmpDir: "/tmp",
    });
  } catch (error) {
    return none(`the sandbox's folders could not be prepared, so the worker runs without a sandbox: ${errorMessage(error)}`);
  }
  const probe = await run(sandboxExec, sandboxExecArgs(profile, params, nodeBinary, ["-e", "process.exit(0)"]));
  if (probe.code !== 0) {
    return none(`sandbox-exec could not start Node with the worker's profile, so the worker runs without a sandbox: ${firstLine(probe.output)}`);
  }
  const sandboxed: SandboxCommand = (command, args) => [sandboxExec, sandboxExecArgs(profile, params, command, args)];
  return {
    status: { kind: "sandbox-exec", active: true, detail: describeSandboxExec(options.modelDirs.length) },
    wrap: (command, args) => sandboxed(command, args),
    command: sandboxed,
  };
}

function detectJobObject(options: DetectSandboxOptions): SandboxPlan {
  const memoryLimitBytes = options.memoryLimitBytes ?? defaultWorkerMemoryLimit(options.totalMemoryBytes ?? totalmem());
  let kernel32: Kernel32 | undefined;
  const createJob =
    options.createJob ??
    ((jobOptions: { readonly memoryLimitBytes: number }) => {
      kernel32 ??= loadKernel32();
      return createWorkerJob({ ...jobOptions, kernel32 });
    });
  try {
    // A job with the worker's limits, closed at once (empty, so nothing is killed): proves koffi,
    // kernel32 and the limit structure all work here before the status says so.
    createJob({ memoryLimitBytes }).close();
  } catch (error) {
    return none(
      `Windows: the job object that contains the worker could not be set up (${errorMessage(error)}), ` +
        "so the worker runs without a sandbox: it could reach the network and the owner's files",
    );
  }
  // One job per worker: a sealed job admits a single process, and a restarted worker may start
  // while the old one is still ending. The job is sealed only once the model is loaded: before
  // that, node-llama-cpp tests a GPU build (CUDA, Vulkan) in a child process on Windows, which the
  // job still caps and kills with the app.
  const contain: SandboxContain = (pid) => {
    const job = createJob({ memoryLimitBytes });
    try {
      job.assign(pid);
    } catch (error) {
      try {
        job.close();
      } catch {
        // The assignment's error is the one worth reporting.
      }
      throw error;
    }
    return { seal: () => job.sealChildren(), release: () => job.close() };
  };
  return { status: { kind: "job-object", active: true, detail: describeJobObject(memoryLimitBytes) }, wrap: null, command: null, contain };
}

function none(detail: string): SandboxPlan {
  return { status: { kind: "none", active: false, detail }, wrap: null, command: null };
}

/** Finds an executable on the PATH, like `which`. */
export function findExecutable(command: string, path = process.env.PATH ?? ""): string | null {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Runs a command with no input and a 15 s limit, collecting its output. */
export function runCommand(command: string, args: readonly string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    let output = "";
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], timeout: 15_000, env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", (error) => resolve({ code: null, output: error.message }));
    child.on("close", (code) => resolve({ code, output }));
  });
}

function firstLine(text: string): string {
  return text.trim().split("\n")[0]?.trim() || "no output";
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
