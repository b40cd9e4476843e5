/**
 * The models on this machine: the GGUF files in the models folder, the generated demo model and
 * the curated catalog with a verdict for this machine; downloads run in the background with
 * their progress kept for the UI, and ended downloads stay visible for a while.
 */
import { randomUUID } from "node:crypto";
import { readdir, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { DownloadProgress, InstalledModelView, ModelsView } from "../../../shared/control-api";
import type { Logger } from "../../../shared/logger";
import { DEMO_MODEL_FILE, DEMO_MODEL_ID, DEMO_MODEL_LABEL } from "./demo-model";
import { DownloadError, downloadModel, ensureFreeSpace, type DownloadedModel, type DownloadProgressUpdate } from "./downloader";
import { checkGgufFile } from "./gguf-header";
import { HF_BASE_URL, resolveModelRef } from "./hf-uri";
import type { CatalogEntry, InstalledModel, ModelJudgement, ModelManager } from "./model-manager";

/** Options of {@link ModelLibrary}. */
export interface ModelLibraryOptions {
  /** Folder of installed models (`*.gguf`, not searched recursively). */
  readonly modelsDir: string;
  /** Folder of the generated demo model. */
  readonly demoDir: string;
  readonly catalog: readonly CatalogEntry[];
  /** The verdict of a catalog model for this machine. */
  readonly judge: (entry: CatalogEntry) => ModelJudgement;
  readonly logger: Logger;
  /** Base URL `hf:` references resolve against (default https://huggingface.co). */
  readonly hfBaseUrl?: string;
  readonly fetchImpl?: typeof fetch;
  readonly freeBytes?: (dir: string) => Promise<number>;
  /** True for the model file the node serves now; that file cannot be removed. */
  readonly isActive?: (path: string) => boolean;
  readonly now?: () => number;
  /** How long an ended download stays in downloads() (default 10 minutes). */
  readonly keepEndedMs?: number;
  /** Minimum time between two change notifications for progress (default 250 ms). */
  readonly notifyIntervalMs?: number;
  /** Passed to the downloader: give up when no byte arrives for this long. */
  readonly stallTimeoutMs?: number;
  /** Passed to the downloader: space left free beyond the file. */
  readonly diskMarginBytes?: number;
}

interface DownloadRecord {
  progress: DownloadProgress;
  readonly fileName: string;
  readonly controller: AbortController;
  readonly settled: Promise<DownloadProgress>;
  endedAt: number | null;
  result: DownloadedModel | null;
}

const DEFAULT_KEEP_ENDED_MS = 10 * 60_000;
const DEFAULT_NOTIFY_INTERVAL_MS = 250;

function idOf(fileName: string): string {
  return fileName.replace(/\.gguf$/i, "");
}

function isActiveState(state: DownloadProgress["state"]): boolean {
  return state === "downloading" || state === "verifying";
}

/** Installed models, catalog and downloads over the models folder. */
export class ModelLibrary implements ModelManager {
  private readonly records = new Map<string, DownloadRecord>();
  private readonly listeners = new Set<() => void>();
  private readonly now: () => number;
  private lastNotify = -Infinity;
  private notifyTimer: NodeJS.Timeout | null = null;

  constructor(private readonly options: ModelLibraryOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Installed models (marking the one at `activePath`) and the catalog with verdicts. */
  async list(activePath: string | null): Promise<ModelsView> {
    const active = activePath === null ? null : resolve(activePath);
    const installed: InstalledModelView[] = [];
    for (const model of await this.installedModels()) {
      installed.push({ ...model, active: active !== null && resolve(model.path) === active });
    }
    const files = new Set(installed.filter((m) => !m.demo).map((m) => m.path));
    const catalog = this.options.catalog.map((entry) => {
      const judgement = this.options.judge(entry);
      return {
        id: entry.id,
        name: entry.name,
        sizeBytes: entry.sizeBytes,
        quantization: entry.quantization,
        licence: entry.licence,
        minMemoryBytes: entry.minMemoryBytes,
        verdict: judgement.verdict,
        verdictReason: judgement.reason,
        installed: files.has(join(this.options.modelsDir, entry.fileName)),
      };
    });
    return { installed, catalog };
  }

  /** Starts a download of a catalog id, `hf:` URI or URL and returns its id at once. */
  async pull(ref: string): Promise<{ downloadId: string }> {
    const entry = this.options.catalog.find((e) => e.id === ref.trim());
    const resolved = entry
      ? { ...resolveModelRef(entry.uri, this.options.hfBaseUrl ?? HF_BASE_URL), fileName: entry.fileName }
      : resolveModelRef(ref, this.options.hfBaseUrl ?? HF_BASE_URL);
    const { url, fileName } = resolved;
    const running = [...this.records.values()].find((r) => r.fileName === fileName && isActiveState(r.progress.state));
    if (running) throw new Error(`${fileName} is already downloading (download ${running.progress.id})`);
    const dest = join(this.options.modelsDir, fileName);
    const existing = await stat(dest).catch(() => null);
    if (existing?.isFile()) throw new Error(`${idOf(fileName)} is already installed (${dest}); remove it first to download it again`);
    if (entry) {
      const partBytes = (await stat(`${dest}.part`).catch(() => null))?.size ?? 0;
      await ensureFreeSpace(this.options.modelsDir, entry.sizeBytes - partBytes, this.options.freeBytes, this.options.diskMarginBytes);
    }

    const id = randomUUID();
    const controller = new AbortController();
    const initial: DownloadProgress = {
      id,
      name: entry?.name ?? idOf(fileName),
      receivedBytes: 0,
      totalBytes: entry?.sizeBytes ?? null,
      bytesPerSecond: 0,
      etaSeconds: null,
      state: "downloading",
      error: null,
    };
    const update = (patch: Partial<DownloadProgress>, urgent: boolean): void => {
      const record = this.records.get(id);
      if (!record) return;
      record.progress = { ...record.progress, ...patch };
      if (urgent) this.notifyNow();
      else this.notifyThrottled();
    };
    const onProgress = (p: DownloadProgressUpdate): void => {
      update({ receivedBytes: p.receivedBytes, totalBytes: p.totalBytes, bytesPerSecond: p.bytesPerSecond, etaSeconds: p.etaSeconds }, false);
    };
    this.options.logger.info("model download started", { downloadId: id, file: fileName });
    const settled = downloadModel({
      url,
      dest,
      expectedSha256: entry?.sha256 ?? null,
      ...(entry ? { expectedBytes: entry.sizeBytes } : {}),
      signal: controller.signal,
      onProgress,
      onPhase: (phase) => update({ state: phase }, true),
      ...(this.options.freeBytes ? { freeBytes: this.options.freeBytes } : {}),
      ...(this.options.fetchImpl ? { fetchImpl: this.options.fetchImpl } : {}),
      ...(this.options.stallTimeoutMs !== undefined ? { stallTimeoutMs: this.options.stallTimeoutMs } : {}),
      ...(this.options.diskMarginBytes !== undefined ? { diskMarginBytes: this.options.diskMarginBytes } : {}),
      logger: this.options.logger,
      now: this.now,
    }).then(
      (done) => this.end(id, done, { state: "done", receivedBytes: done.bytes, totalBytes: done.bytes, etaSeconds: 0, error: null }),
      (error: unknown) => {
        const cancelledByOwner = error instanceof DownloadError && error.kind === "cancelled";
        const message = error instanceof Error ? error.message : String(error);
        if (!cancelledByOwner) this.options.logger.warn("model download failed", { downloadId: id, file: fileName, error: message });
        return this.end(id, null, { state: cancelledByOwner ? "cancelled" : "failed", error: message, etaSeconds: null });
      },
    );
    this.records.set(id, { progress: initial, fileName, controller, settled, endedAt: null, result: null });
    this.notifyNow();
    return { downloadId: id };
  }

  /** Resolves with the final progress of a download once it ends; null for an unknown id. */
  async settled(downloadId: string): Promise<DownloadProgress | null> {
    const record = this.records.get(downloadId);
    return record ? record.settled : null;
  }

  /** The installed file of a finished download (path, sha256, what it was verified against), or null. */
  downloadResult(downloadId: string): DownloadedModel | null {
    return this.records.get(downloadId)?.result ?? null;
  }

  /** Stops a download (its partial file is kept); false when there is no such running download. */
  cancel(downloadId: string): boolean {
    const record = this.records.get(downloadId);
    if (!record || !isActiveState(record.progress.state)) return false;
    record.controller.abort();
    return true;
  }

  /** Deletes an installed model (or a partial download of it); refuses the active and demo models. */
  async remove(modelId: string): Promise<void> {
    if (modelId === "" || /[/\\\0]/.test(modelId) || modelId === "." || modelId === "..") {
      throw new Error(`"${modelId}" is not a model id (ids are file names without folders)`);
    }
    if (modelId === DEMO_MODEL_ID) throw new Error("The demo model is generated by Offpeak and cannot be removed");
    const model = await this.find(modelId);
    const fileName = model ? (model.path.split(/[/\\]/).pop() ?? `${modelId}.gguf`) : this.fileNameFor(modelId);
    const path = join(this.options.modelsDir, fileName);
    if (model && this.options.isActive?.(model.path)) {
      throw new Error(`${modelId} is the model this node serves now; switch to another model before removing it`);
    }
    const running = [...this.records.values()].find((r) => r.fileName === fileName && isActiveState(r.progress.state));
    if (running) throw new Error(`${modelId} is downloading; cancel the download before removing it`);
    const partExists = (await stat(`${path}.part`).catch(() => null)) !== null;
    if (!model && !partExists) throw new Error(`No installed model "${modelId}" in ${this.options.modelsDir}`);
    await rm(path, { force: true });
    await rm(`${path}.part`, { force: true });
    this.options.logger.info("model removed", { modelId, path });
    this.notifyNow();
  }

  /** The installed model with this id (a file name without `.gguf`, or a catalog id), or null. */
  async find(modelId: string): Promise<InstalledModel | null> {
    const models = await this.installedModels();
    const direct = models.find((m) => m.id === modelId);
    if (direct) return direct;
    const entry = this.options.catalog.find((e) => e.id === modelId);
    return entry ? (models.find((m) => !m.demo && m.path === join(this.options.modelsDir, entry.fileName)) ?? null) : null;
  }

  /** Downloads in progress or ended within the last few minutes. */
  downloads(): readonly DownloadProgress[] {
    const keep = this.options.keepEndedMs ?? DEFAULT_KEEP_ENDED_MS;
    const t = this.now();
    for (const [id, record] of this.records) {
      if (record.endedAt !== null && t - record.endedAt > keep) this.records.delete(id);
    }
    return [...this.records.values()].map((r) => r.progress);
  }

  /** Calls `listener` when a download progresses or ends, or the installed models change. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private fileNameFor(modelId: string): string {
    return this.options.catalog.find((e) => e.id === modelId)?.fileName ?? `${modelId}.gguf`;
  }

  private end(id: string, result: DownloadedModel | null, patch: Partial<DownloadProgress>): DownloadProgress {
    const record = this.records.get(id);
    if (!record) throw new Error(`download ${id} vanished`);
    record.progress = { ...record.progress, ...patch };
    record.result = result;
    record.endedAt = this.now();
    this.notifyNow();
    return record.progress;
  }

  private async installedModels(): Promise<InstalledModel[]> {
    const models: InstalledModel[] = [];
    const entries = await readdir(this.options.modelsDir, { withFileTypes: true }).catch(() => []);
    const demoPath = resolve(this.options.demoDir, DEMO_MODEL_FILE);
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (!entry.name.toLowerCase().endsWith(".gguf") || entry.name.startsWith(".")) continue;
      const path = join(this.options.modelsDir, entry.name);
      if (resolve(path) === demoPath) continue;
      const info = await stat(path).catch(() => null);
      if (!info?.isFile()) continue;
      const id = idOf(entry.name);
      const summary = await checkGgufFile(path).catch(() => null);
      const name = summary?.name && summary.name.trim() !== "" && summary.name !== summary.architecture ? summary.name : id;
      models.push({ id, name, path, bytes: info.size, demo: false });
    }
    const demo = await stat(demoPath).catch(() => null);
    if (demo?.isFile()) models.push({ id: DEMO_MODEL_ID, name: DEMO_MODEL_LABEL, path: demoPath, bytes: demo.size, demo: true });
    return models;
  }

  private notifyNow(): void {
    if (this.notifyTimer) {
      clearTimeout(this.notifyTimer);
      this.notifyTimer = null;
    }
    this.lastNotify = this.now();
    for (const listener of this.listeners) {
      try {
        listener();
      } catch (error) {
        this.options.logger.warn("a model change listener failed", { error: (error as Error).message });
      }
    }
  }

  private notifyThrottled(): void {
    const interval = this.options.notifyIntervalMs ?? DEFAULT_NOTIFY_INTERVAL_MS;
    const wait = this.lastNotify + interval - this.now();
    if (wait <= 0) {
      this.notifyNow();
      return;
    }
    if (this.notifyTimer) return;
    this.notifyTimer = setTimeout(() => {
      this.notifyTimer = null;
      this.notifyNow();
    }, wait);
    this.notifyTimer.unref();
  }
}
