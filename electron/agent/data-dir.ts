/**
 * The node's data folder and what lives in it. Default `~/.offpeak`, or OFFPEAK_DATA_DIR, or
 * `--data-dir`.
 */
import { mkdir } from "node:fs/promises";
import { homedir } from "node:os";
import { join, resolve } from "node:path";

/** The paths of everything the node keeps on disk. */
export interface DataPaths {
  readonly root: string;
  /** Models the owner installed (GGUF files). */
  readonly models: string;
  /** The generated demo model. */
  readonly demo: string;
  /** The embedded coordinator's database (PGlite). */
  readonly coordinatorDb: string;
  /** Address and token of the running node's control server, for `offpeak status`. */
  readonly controlFile: string;
  /** The private folder the worker may use as its home. */
  readonly workerHome: string;
  /** The node's own record of the receipts it signed (JSON lines, no prompt or output text). */
  readonly receiptLog: string;
}

/** Resolves the data folder from an explicit value, the environment, or the default. */
export function resolveDataDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(explicit ?? env.OFFPEAK_DATA_DIR ?? join(homedir(), ".offpeak"));
}

/** Creates the data folder (owner-only) and returns its paths. */
export async function prepareDataDir(root: string): Promise<DataPaths> {
  const paths: DataPaths = {
    root,
    models: join(root, "models"),
    demo: join(root, "demo"),
    coordinatorDb: join(root, "coordinator-db"),
    controlFile: join(root, "control.json"),
    workerHome: join(root, "worker-home"),
    receiptLog: join(root, "receipts.jsonl"),
  };
  await mkdir(root, { recursive: true, mode: 0o700 });
  await mkdir(paths.models, { recursive: true });
  await mkdir(paths.demo, { recursive: true });
  await mkdir(paths.workerHome, { recursive: true, mode: 0o700 });
  // The worker's temp folder (its TMPDIR inside the sandbox).
  await mkdir(join(paths.workerHome, "tmp"), { recursive: true, mode: 0o700 });
  return paths;
}
