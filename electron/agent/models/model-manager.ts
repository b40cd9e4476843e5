/**
 * What the agent needs from the models on this machine: list them with the catalog's verdicts,
 * download, cancel, delete, and find an installed model's file. The model library implements
 * it over the models folder, the downloader and the curated catalog.
 */
import type { DownloadProgress, ModelsView, ModelVerdict } from "../../../shared/control-api";

/** One entry of the curated catalog. */
export interface CatalogEntry {
  /** Short id people type: "llama-3.2-1b-instruct-q4_k_m". */
  readonly id: string;
  readonly name: string;
  /** `hf:<owner>/<repo>/<file>` or an https:// URL. */
  readonly uri: string;
  /** File name in the models folder. */
  readonly fileName: string;
  readonly sizeBytes: number;
  readonly quantization: string;
  readonly parameters: string;
  readonly contextLength: number;
  /** Memory needed to run it at the default context (weights + KV cache + margin). */
  readonly minMemoryBytes: number;
  readonly licence: string;
  /** Expected sha256 of the file (lowercase hex), or null where the server's hash is used. */
  readonly sha256: string | null;
}

/** The verdict of a model for this machine, with a sentence saying why. */
export interface ModelJudgement {
  readonly verdict: ModelVerdict;
  readonly reason: string;
}

/** An installed model the node can serve. */
export interface InstalledModel {
  readonly id: string;
  readonly name: string;
  readonly path: string;
  readonly bytes: number;
  readonly demo: boolean;
}

/** The agent's view of the models on this machine. */
export interface ModelManager {
  /** Installed models (marking the one at `activePath`) and the catalog with verdicts. */
  list(activePath: string | null): Promise<ModelsView>;
  /** Starts a download of a catalog id, `hf:` URI or URL; rejects at once for a bad reference or too little disk. */
  pull(ref: string): Promise<{ downloadId: string }>;
  /** Stops a download; false when there is no such download. */
  cancel(downloadId: string): boolean;
  /** Deletes an installed model; rejects with a readable reason. */
  remove(modelId: string): Promise<void>;
  /** The installed model with this id, or null. */
  find(modelId: string): Promise<InstalledModel | null>;
  /** Downloads in progress or just ended. */
  downloads(): readonly DownloadProgress[];
  /** Called whenever a download progresses or ends, or the installed models change. */
  onChange(listener: () => void): () => void;
}
