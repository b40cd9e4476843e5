/**
 * The macOS sandbox of the inference worker: `sandbox-exec` with the profile
 * resources/sandbox/worker.sb and its parameters (the folders the worker may read and write).
 */
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The sandbox-exec executable shipped with macOS. */
export const SANDBOX_EXEC = "/usr/bin/sandbox-exec";

/** The worker's profile inside the source tree (the packaged app passes its own copy's path). */
export const DEFAULT_PROFILE_PATH = fileURLToPath(new URL("../../../resources/sandbox/worker.sb", import.meta.url));

/** The values of the profile's `(param "…")` names, all absolute paths with symlinks resolved. */
export interface SandboxExecParams {
  readonly APP_ROOT: string;
  readonly MODEL_DIR: string;
  readonly MODEL_DIR_2: string;
  readonly WORKER_HOME: string;
  readonly TMP_DIR: string;
  readonly NODE_BINARY: string;
}

/** Options of {@link sandboxExecParams}. */
export interface SandboxExecParamsOptions {
  readonly appRoot: string;
  /** The profile names two model folders; a third and later are not readable. */
  readonly modelDirs: readonly string[];
  readonly workerHome: string;
  readonly nodeBinary: string;
  /** The temp folder the worker writes (its TMPDIR, or /tmp when it has none). */
  readonly tmpDir: string;
  /** Resolves symlinks (macOS puts /tmp and /var under /private); injectable for tests. */
  readonly realpath?: (path: string) => string;
}

/** Computes the profile parameters; the model folders fall back to the worker home when none is given. */
export function sandboxExecParams(options: SandboxExecParamsOptions): SandboxExecParams {
  const real = options.realpath ?? ((path: string) => realpathSync(path));
  const workerHome = real(options.workerHome);
  const models = options.modelDirs.map(real);
  return {
    APP_ROOT: real(options.appRoot),
    MODEL_DIR: models[0] ?? workerHome,
    MODEL_DIR_2: models[1] ?? models[0] ?? workerHome,
    WORKER_HOME: workerHome,
    TMP_DIR: real(options.tmpDir),
    NODE_BINARY: real(options.nodeBinary),
  };
}

/** The full `sandbox-exec` argument list that runs `command args` under the profile. */
export function sandboxExecArgs(profilePath: string, params: SandboxExecParams, command: string, args: readonly string[]): string[] {
  const argv = ["-f", profilePath];
  for (const [name, value] of Object.entries(params)) argv.push("-D", `${name}=${value}`);
  argv.push(command, ...args);
  return argv;
}

/** One sentence on what the sandbox contains, for the status line. */
export function describeSandboxExec(modelDirCount: number): string {
  const dropped = modelDirCount > 2 ? `; only the first two of ${modelDirCount} model folders are readable` : "";
  return `sandbox-exec: no network, no access to the owner's files; read-only system libraries, app code and model folders, a private home, Metal GPU${dropped}`;
}
