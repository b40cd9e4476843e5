/**
 * Decides which model file the node serves: the one the owner named, else the newest GGUF in
 * the models folder, else the generated demo model.
 */
import { readdir, stat } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { DEMO_MODEL_FILE, DEMO_MODEL_ID, DEMO_MODEL_LABEL, ensureDemoModel } from "./demo-model";
import { checkGgufFile, ModelFileError } from "./gguf-header";

/** Options of {@link locateModel}. */
export interface LocateModelOptions {
  /** A model file the owner named (`--model PATH`); used as is, or an error if unusable. */
  readonly modelPath?: string;
  /** Folder of downloaded models (not searched recursively). */
  readonly modelsDir: string;
  /** Folder where the demo model is generated when there is no other model. */
  readonly demoDir: string;
}

/** The model the node will serve. */
export interface LocatedModel {
  readonly path: string;
  readonly id: string;
  readonly label: string;
  readonly demo: boolean;
  /** Model files in the models folder that were passed over because they are unusable. */
  readonly skipped: readonly ModelFileError[];
}

function idFromPath(path: string): string {
  return basename(path).replace(/\.gguf$/i, "");
}

/** The model's own name, unless it is missing or just repeats the architecture. */
function labelFrom(name: string | null, architecture: string | null, id: string): string {
  return name && name.trim() !== "" && name !== architecture ? name : id;
}

/** GGUF files directly in `dir`, newest first; a missing folder has none. */
async function ggufFilesNewestFirst(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT" || error.code === "ENOTDIR") return [];
    throw error;
  });
  const files: Array<{ path: string; mtimeMs: number }> = [];
  for (const entry of entries) {
    if (!entry.name.toLowerCase().endsWith(".gguf") || entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    const info = await stat(path).catch(() => null);
    if (info?.isFile()) files.push({ path, mtimeMs: info.mtimeMs });
  }
  return files.sort((a, b) => b.mtimeMs - a.mtimeMs || a.path.localeCompare(b.path)).map((f) => f.path);
}

/**
 * Finds the model to serve: `modelPath` if given (checked; a bad file is an error), else the
 * newest usable `*.gguf` in `modelsDir` (partial downloads such as `*.part` are ignored, broken
 * files are skipped and reported), else the demo model, generated in `demoDir` if needed.
 */
export async function locateModel(options: LocateModelOptions): Promise<LocatedModel> {
  if (options.modelPath !== undefined) {
    const summary = await checkGgufFile(options.modelPath);
    const id = idFromPath(options.modelPath);
    return { path: options.modelPath, id, label: labelFrom(summary.name, summary.architecture, id), demo: false, skipped: [] };
  }
  const skipped: ModelFileError[] = [];
  const demoPath = resolve(options.demoDir, DEMO_MODEL_FILE);
  for (const path of await ggufFilesNewestFirst(options.modelsDir)) {
    if (resolve(path) === demoPath) continue;
    try {
      const summary = await checkGgufFile(path);
      const id = idFromPath(path);
      return { path, id, label: labelFrom(summary.name, summary.architecture, id), demo: false, skipped };
    } catch (error) {
      if (!(error instanceof ModelFileError)) throw error;
      skipped.push(error);
    }
  }
  const path = await ensureDemoModel(options.demoDir);
  return { path, id: DEMO_MODEL_ID, label: DEMO_MODEL_LABEL, demo: true, skipped };
}
