/**
 * The Linux sandbox of the inference worker: the bubblewrap command line. The worker gets its own
 * namespaces of every kind (so no network at all, not even the host's loopback), an empty root
 * with read-only system libraries, the app code and the model folders, a private writable home,
 * a scratch /tmp, and only the environment variables it needs.
 */
import { existsSync, lstatSync, readdirSync, readlinkSync, realpathSync } from "node:fs";
import { dirname, isAbsolute, join, relative } from "node:path";
import { WORKER_IPC_FD, WORKER_IPC_SERIALIZATION } from "../worker-spawner";

/** A top-level system path: bound read-only, or recreated as the symlink it is on merged-/usr systems. */
export type SystemMount = { readonly path: string; readonly symlinkTo: string } | { readonly path: string; readonly symlinkTo: null };

/** Everything the sandbox mounts, found once on the machine; the argv is a pure function of it. */
export interface BubblewrapLayout {
  readonly system: readonly SystemMount[];
  /** Single files of /etc the dynamic loader needs (ld.so.cache). */
  readonly etcFiles: readonly string[];
  /** Directories of executables outside the system paths (e.g. a Node installed under the home). */
  readonly binaryDirs: readonly string[];
  readonly appRoot: string;
  readonly modelDirs: readonly string[];
  readonly workerHome: string;
  /** GPU device nodes passed through (NVIDIA /dev/nvidia*, /dev/dri); empty on CPU-only machines. */
  readonly gpuDevices: readonly string[];
  /** Read-only extras GPU drivers need (e.g. /sys, /etc/vulkan); empty without GPU devices. */
  readonly gpuReadOnly: readonly string[];
}

/** Variables passed on from the worker's (already scrubbed) environment; everything else is cleared. */
export const FORWARDED_VARIABLES: readonly string[] = ["LANG", "LC_ALL", "LC_CTYPE", "NODE_LLAMA_CPP_GPU", "ELECTRON_RUN_AS_NODE"];

const SYSTEM_PATHS = ["/usr", "/bin", "/lib", "/lib64", "/lib32"];
const ETC_FILES = ["/etc/ld.so.cache"];
const GPU_READ_ONLY = ["/sys", "/etc/vulkan", "/etc/glvnd", "/etc/OpenCL"];

/** Options of {@link bubblewrapLayout}. */
export interface BubblewrapLayoutOptions {
  readonly appRoot: string;
  readonly modelDirs: readonly string[];
  readonly workerHome: string;
  readonly nodeBinary: string;
  /** Overrides the GPU device scan of /dev (for tests). */
  readonly gpuDevices?: readonly string[];
}

/** Looks at this machine's file system to decide what the sandbox mounts. */
export function bubblewrapLayout(options: BubblewrapLayoutOptions): BubblewrapLayout {
  const system: SystemMount[] = [];
  for (const path of SYSTEM_PATHS) {
    if (!existsSync(path)) continue;
    const stat = lstatSync(path);
    system.push(stat.isSymbolicLink() ? { path, symlinkTo: readlinkSync(path) } : { path, symlinkTo: null });
  }
  const systemDirs = system.filter((mount) => mount.symlinkTo === null).map((mount) => mount.path);
  const appRoot = realpathSync(options.appRoot);
  const nodeDir = dirname(realpathSync(options.nodeBinary));
  const covered = [...systemDirs, appRoot];
  const gpuDevices = options.gpuDevices ?? findGpuDevices();
  return {
    system,
    etcFiles: ETC_FILES.filter((path) => existsSync(path)),
    binaryDirs: covered.some((dir) => isInside(nodeDir, dir)) ? [] : [nodeDir],
    appRoot,
    modelDirs: options.modelDirs.map((dir) => realpathSync(dir)),
    workerHome: realpathSync(options.workerHome),
    gpuDevices,
    gpuReadOnly: gpuDevices.length > 0 ? GPU_READ_ONLY.filter((path) => existsSync(path)) : [],
  };
}

/** The NVIDIA device nodes and the DRI folder present on this machine. */
export function findGpuDevices(devDir = "/dev"): string[] {
  let entries: string[];
  try {
    entries = readdirSync(devDir);
  } catch {
    return [];
  }
  const devices = entries.filter((name) => /^nvidia/.test(name)).map((name) => join(devDir, name));
  if (entries.includes("dri")) devices.push(join(devDir, "dri"));
  return devices.sort();
}

/** Options of {@link bubblewrapArgs}. */
export interface BubblewrapArgsOptions {
  /** Pass the Node IPC channel (fd {@link WORKER_IPC_FD}) through; true for the worker. */
  readonly ipc: boolean;
  /** The environment the worker would get without the sandbox; only {@link FORWARDED_VARIABLES} pass. */
  readonly env?: NodeJS.ProcessEnv;
}

/** The full `bwrap` argument list that runs `command args` inside the sandbox. */
export function bubblewrapArgs(layout: BubblewrapLayout, command: string, args: readonly string[], options: BubblewrapArgsOptions): string[] {
  const argv = ["--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--clearenv"];
  const commandDir = dirname(command);
  const binaryDirs = [...layout.binaryDirs];
  const boundDirs = [...layout.system.filter((mount) => mount.symlinkTo === null).map((mount) => mount.path), layout.appRoot, ...binaryDirs];
  if (isAbsolute(command) && !boundDirs.some((dir) => isInside(commandDir, dir))) binaryDirs.push(commandDir);

  const path = [...binaryDirs, "/usr/local/bin", "/usr/bin", "/bin"].filter((dir, index, all) => all.indexOf(dir) === index).join(":");
  argv.push("--setenv", "HOME", layout.workerHome, "--setenv", "PATH", path, "--setenv", "TMPDIR", workerTmpDir(layout.workerHome));
  for (const name of FORWARDED_VARIABLES) {
    const value = options.env?.[name];
    if (value !== undefined) argv.push("--setenv", name, value);
  }
  if (options.ipc) argv.push("--setenv", "NODE_CHANNEL_FD", String(WORKER_IPC_FD), "--setenv", "NODE_CHANNEL_SERIALIZATION_MODE", WORKER_IPC_SERIALIZATION);

  for (const mount of layout.system) {
    if (mount.symlinkTo === null) argv.push("--ro-bind", mount.path, mount.path);
    else argv.push("--symlink", mount.symlinkTo, mount.path);
  }
  for (const file of layout.etcFiles) argv.push("--ro-bind", file, file);
  argv.push("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp");
  for (const device of layout.gpuDevices) argv.push("--dev-bind", device, device);
  for (const path of layout.gpuReadOnly) argv.push("--ro-bind", path, path);
  // Parents are bound before what lies inside them, whichever way they nest: a model folder inside
  // the home stays read-only, and a home inside a model folder (or the app) stays writable.
  const binds: { path: string; flag: "--ro-bind" | "--bind" }[] = [
    ...binaryDirs.map((path) => ({ path, flag: "--ro-bind" as const })),
    { path: layout.appRoot, flag: "--ro-bind" },
    { path: layout.workerHome, flag: "--bind" },
    ...layout.modelDirs.map((path) => ({ path, flag: "--ro-bind" as const })),
  ];
  const depth = (path: string) => path.split("/").filter(Boolean).length;
  for (const { path, flag } of [...binds].sort((a, b) => depth(a.path) - depth(b.path))) argv.push(flag, path, path);
  argv.push(command, ...args);
  return argv;
}

/**
 * The worker's temp folder, inside its home: it outlives one worker process, so caches kept in the
 * temp folder (the TypeScript loader's, when running from source) stay warm across restarts. /tmp
 * itself is an empty scratch space of each run.
 */
export function workerTmpDir(workerHome: string): string {
  return join(workerHome, "tmp");
}

/** One sentence on what the sandbox contains, for the status line. */
export function describeBubblewrap(layout: BubblewrapLayout): string {
  const gpu =
    layout.gpuDevices.length > 0
      ? `; GPU devices passed through (${layout.gpuDevices.join(", ")})`
      : "; no GPU devices passed through (none found)";
  return `bubblewrap: no network, no access to the owner's files; read-only system libraries, app code and ${layout.modelDirs.length === 1 ? "model folder" : "model folders"}, a private home${gpu}`;
}

/** True when `path` is `dir` or inside it. */
export function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}
