/**
 * Downloads one model file: into `<dest>.part`, resuming a partial file with a Range request,
 * after checking the disk has room, hashing as it writes, verifying the sha256 (the expected one,
 * or the one the server publishes in its ETag) and the GGUF header, then renaming into place.
 * A file that fails a check is deleted and the error says so; an interrupted download keeps its
 * partial file so the next attempt resumes.
 */
import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, rename, rm, stat, statfs } from "node:fs/promises";
import { dirname } from "node:path";
import { silentLogger, type Logger } from "../../../shared/logger";
import { checkGgufFile, ModelFileError, type GgufSummary } from "./gguf-header";
import { isAllowedDownloadUrl } from "./hf-uri";

/** Progress of a running download. */
export interface DownloadProgressUpdate {
  readonly receivedBytes: number;
  readonly totalBytes: number | null;
  /** Moving average over the last few seconds. */
  readonly bytesPerSecond: number;
  readonly etaSeconds: number | null;
}

/** Why a download failed. */
export type DownloadFailure = "cancelled" | "disk" | "http" | "not-found" | "network" | "stalled" | "checksum" | "not-gguf";

/** A failed download; the message is a sentence for the owner. */
export class DownloadError extends Error {
  constructor(
    readonly kind: DownloadFailure,
    message: string,
    /** True when a partial file was kept for a later resume. */
    readonly partKept: boolean,
  ) {
    super(message);
    this.name = "DownloadError";
  }
}

/** Options of {@link downloadModel}. */
export interface DownloadModelOptions {
  readonly url: string;
  /** Final path of the model file; the partial file is `<dest>.part`. */
  readonly dest: string;
  /** Lowercase hex sha256 the file must have, or null to use the server's published hash. */
  readonly expectedSha256: string | null;
  /** Size announced by the catalog, used to check disk space before connecting. */
  readonly expectedBytes?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: DownloadProgressUpdate) => void;
  /** Told when the download starts verifying (hashing a resumed part, or the final checks). */
  readonly onPhase?: (phase: "downloading" | "verifying") => void;
  /** Free bytes on the disk holding `dir` (default: fs.statfs). */
  readonly freeBytes?: (dir: string) => Promise<number>;
  readonly fetchImpl?: typeof fetch;
  /** Gives up when no byte arrives for this long (default 30 s). */
  readonly stallTimeoutMs?: number;
  /** Space left free beyond the file itself (default 64 MiB). */
  readonly diskMarginBytes?: number;
  readonly now?: () => number;
  readonly logger?: Logger;
}

/** A downloaded, verified model file. */
export interface DownloadedModel {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
  /** What the hash was checked against: the expected value, the server's ETag, or nothing. */
  readonly verifiedAgainst: "expected" | "server" | null;
  readonly summary: GgufSummary;
}

/** Space kept free beyond the model file unless told otherwise. */
export const DEFAULT_DISK_MARGIN_BYTES = 64 * 1024 * 1024;
const DEFAULT_STALL_TIMEOUT_MS = 30_000;
const MAX_REDIRECTS = 10;
const MAX_ATTEMPTS = 2;
const PROGRESS_INTERVAL_MS = 100;
const SPEED_WINDOW_MS = 5_000;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** A byte count for people: "4.1 GB", "820.0 MB", "12.3 kB", "512 bytes". */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${bytes} bytes`;
}

/** Free bytes available to this user on the disk holding `dir`. */
export async function statfsFreeBytes(dir: string): Promise<number> {
  const info = await statfs(dir);
  return info.bavail * info.bsize;
}

/** Refuses with a readable {@link DownloadError} when `dir`'s disk lacks `neededBytes` plus the margin. */
export async function ensureFreeSpace(
  dir: string,
  neededBytes: number,
  freeBytes: (dir: string) => Promise<number> = statfsFreeBytes,
  marginBytes: number = DEFAULT_DISK_MARGIN_BYTES,
): Promise<void> {
  const needs = Math.max(0, neededBytes) + marginBytes;
  const free = await freeBytes(dir);
  if (free < needs) {
    throw new DownloadError("disk", `Not enough disk space: needs ${formatBytes(needs)}, ${formatBytes(free)} free on ${dir}`, false);
  }
}

/** The sha256 an ETag carries, when it is one (Hugging Face sends the LFS sha256 there). */
export function sha256FromEtag(etag: string | null): string | null {
  if (!etag) return null;
  const value = etag.trim().replace(/^W\//, "").replace(/^"|"$/g, "").toLowerCase();
  return SHA256_HEX.test(value) ? value : null;
}

/** Bytes per second over a sliding window of samples. */
class SpeedMeter {
  private readonly samples: Array<{ t: number; bytes: number }> = [];

  add(t: number, bytes: number): void {
    this.samples.push({ t, bytes });
    while (this.samples.length > 2 && (this.samples[1]?.t ?? t) <= t - SPEED_WINDOW_MS) this.samples.shift();
  }

  rate(): number {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.t - first.t < 200) return 0;
    return Math.max(0, ((last.bytes - first.bytes) * 1000) / (last.t - first.t));
  }
}

async function fileSize(path: string): Promise<number> {
  const info = await stat(path).catch(() => null);
  return info?.isFile() ? info.size : 0;
}

async function hashFile(path: string, hash: Hash): Promise<void> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
}

function describeCause(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message ?? String(error);
}

interface OpenedResponse {
  readonly response: Response;
  /** The sha256 published by any hop (X-Linked-Etag) or the final response's ETag. */
  readonly serverSha256: string | null;
}

/** Fetches `url`, following redirects itself so that each hop's X-Linked-Etag is seen. */
async function openResponse(url: string, rangeStart: number, fetchImpl: typeof fetch, signal: AbortSignal): Promise<OpenedResponse> {
  let current = url;
  let linked: string | null = null;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const headers: Record<string, string> = { "accept-encoding": "identity" };
    if (rangeStart > 0) headers.range = `bytes=${rangeStart}-`;
    const response = await fetchImpl(current, { headers, redirect: "manual", signal });
    linked ??= sha256FromEtag(response.headers.get("x-linked-etag"));
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel().catch(() => undefined);
      const next = new URL(location, current);
      if (!isAllowedDownloadUrl(next)) throw new DownloadError("http", `The server redirected the download to ${next.origin}, which is not https; refused`, false);
      current = next.href;
      continue;
    }
    return { response, serverSha256: linked ?? sha256FromEtag(response.headers.get("etag")) };
  }
  throw new DownloadError("http", `Too many redirects while downloading ${url}`, false);
}

/** Downloads, verifies and installs one model file; throws {@link DownloadError}. */
export async function downloadModel(options: DownloadModelOptions): Promise<DownloadedModel> {
  const { url, dest } = options;
  const part = `${dest}.part`;
  const dir = dirname(dest);
  const where = (() => {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  })();
  const fetchImpl = options.fetchImpl ?? fetch;
  const freeBytes = options.freeBytes ?? statfsFreeBytes;
  const margin = options.diskMarginBytes ?? DEFAULT_DISK_MARGIN_BYTES;
  const stallMs = options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
  const now = options.now ?? Date.now;
  const logger = options.logger ?? silentLogger;
  const external = options.signal;
  const partKept = async (): Promise<boolean> => (await fileSize(part)) > 0;
  const cancelled = async (): Promise<DownloadError> => {
    const kept = await partKept();
    return new DownloadError("cancelled", `Download of ${where} was cancelled${kept ? "; the partial file is kept for a later resume" : ""}`, kept);
  };

  await mkdir(dir, { recursive: true });
  if (external?.aborted) throw await cancelled();
  let existing = await fileSize(part);
  if (options.expectedBytes !== undefined) await ensureFreeSpace(dir, options.expectedBytes - existing, freeBytes, margin);
  // On resume, hash what is already there first (before connecting, so a slow disk cannot stall the connection).
  let hash = createHash("sha256");
  if (existing > 0) {
    options.onPhase?.("verifying");
    await hashFile(part, hash);
    if (external?.aborted) throw await cancelled();
  }

  const controller = new AbortController();
  let stalled = false;
  const onAbort = (): void => controller.abort();
  external?.addEventListener("abort", onAbort, { once: true });
  const stallTimer = setTimeout(() => {
    stalled = true;
    controller.abort();
  }, stallMs);
  stallTimer.unref();
  const failure = async (error: unknown): Promise<DownloadError> => {
    if (error instanceof DownloadError) return error;
    if (external?.aborted) return cancelled();
    const kept = await partKept();
    const resume = kept ? "; the partial file is kept, so pulling again resumes" : "";
    if (stalled) return new DownloadError("stalled", `Download of ${where} stalled: no data for ${Math.round(stallMs / 1000)} s${resume}`, kept);
    return new DownloadError("network", `Download of ${where} failed: ${describeCause(error)}${resume}`, kept);
  };

  try {
    let received = 0;
    let total: number | null = options.expectedBytes ?? null;
    let serverSha256: string | null = null;
    let body: ReadableStream<Uint8Array> | null = null;

    for (let attempt = 1; ; attempt++) {
      if (attempt > MAX_ATTEMPTS) throw new DownloadError("http", `The server of ${where} keeps refusing to resume the download`, await partKept());
      const opened = await openResponse(url, existing, fetchImpl, controller.signal).catch(async (e: unknown) => {
        throw await failure(e);
      });
      const { response } = opened;
      serverSha256 = opened.serverSha256;
      const status = response.status;
      if (status === 416 && existing > 0) {
        await response.body?.cancel().catch(() => undefined);
        const announced = /\/(\d+)\s*$/.exec(response.headers.get("content-range") ?? "");
        if (announced && Number(announced[1]) === existing) {
          total = existing; // the partial file is already complete: verify it below
          break;
        }
        logger.warn("partial download does not match the server's file; starting over", { file: dest, partBytes: existing });
        await rm(part, { force: true });
        existing = 0;
        hash = createHash("sha256");
        continue;
      }
      if (status === 401 || status === 403 || status === 404 || status === 410) {
        await response.body?.cancel().catch(() => undefined);
        await rm(part, { force: true });
        const why = status === 404 || status === 410 ? "the file is not there" : "access is denied (the model may need a licence accepted on its page)";
        throw new DownloadError("not-found", `Download of ${where} failed: the server answered ${status} (${why})`, false);
      }
      if (status !== 200 && status !== 206) {
        await response.body?.cancel().catch(() => undefined);
        const kept = await partKept();
        throw new DownloadError("http", `Download of ${where} failed: the server answered ${status}${kept ? "; the partial file is kept, so pulling again resumes" : ""}`, kept);
      }
      if (status === 206) {
        const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.headers.get("content-range")?.trim() ?? "");
        if (!range || Number(range[1]) !== existing) {
          await response.body?.cancel().catch(() => undefined);
          logger.warn("server answered a resume with the wrong range; starting over", { file: dest });
          await rm(part, { force: true });
          existing = 0;
          hash = createHash("sha256");
          continue;
        }
        total = range[3] === "*" ? null : Number(range[3]);
      } else {
        if (existing > 0) {
          logger.info("server does not resume downloads; starting over", { file: dest });
          existing = 0;
          hash = createHash("sha256");
        }
        const length = response.headers.get("content-length");
        total = length !== null && /^\d+$/.test(length) ? Number(length) : null;
      }
      if (total !== null) {
        try {
          await ensureFreeSpace(dir, total - existing, freeBytes, margin);
        } catch (error) {
          await response.body?.cancel().catch(() => undefined);
          throw error;
        }
      }
      body = response.body;
      break;
    }

    received = existing;
    options.onPhase?.("downloading");
    stallTimer.refresh();

    const meter = new SpeedMeter();
    let lastReport = -Infinity;
    const report = (force: boolean): void => {
      const t = now();
      meter.add(t, received);
      if (!force && t - lastReport < PROGRESS_INTERVAL_MS) return;
      lastReport = t;
      const bytesPerSecond = meter.rate();
      const etaSeconds = total !== null && bytesPerSecond > 0 ? Math.max(0, (total - received) / bytesPerSecond) : null;
      options.onProgress?.({ receivedBytes: received, totalBytes: total, bytesPerSecond, etaSeconds });
    };
    report(true);

    if (body) {
      const handle = await open(part, existing > 0 ? "a" : "w");
      const reader = body.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          stallTimer.refresh();
          await handle.write(value);
          hash.update(value);
          received += value.length;
          report(false);
        }
      } catch (error) {
        await handle.close().catch(() => undefined);
        throw await failure(error);
      } finally {
        reader.releaseLock();
      }
      await handle.close();
      report(true);
    }
    clearTimeout(stallTimer);
    if (total !== null && received < total) {
      throw new DownloadError("network", `Download of ${where} was cut short at ${formatBytes(received)} of ${formatBytes(total)}; the partial file is kept, so pulling again resumes`, true);
    }

    options.onPhase?.("verifying");
    const actual = hash.digest("hex");
    const expected = options.expectedSha256?.toLowerCase() ?? serverSha256;
    if (expected !== null && actual !== expected) {
      await rm(part, { force: true });
      throw new DownloadError("checksum", `Checksum mismatch for ${where}: expected ${expected}, got ${actual}; the file was deleted`, false);
    }
    if (expected === null) logger.warn("no checksum to verify the download against; only its GGUF header is checked", { url: where });
    await rename(part, dest);
    let summary: GgufSummary;
    try {
      summary = await checkGgufFile(dest);
    } catch (error) {
      if (!(error instanceof ModelFileError)) throw error;
      await rm(dest, { force: true });
      throw new DownloadError("not-gguf", `Downloaded ${where} is not a usable model: ${error.message}; the file was deleted`, false);
    }
    const verifiedAgainst = options.expectedSha256 ? "expected" : serverSha256 ? "server" : null;
    logger.info("model downloaded", { path: dest, bytes: received, sha256: actual, verifiedAgainst });
    return { path: dest, bytes: received, sha256: actual, verifiedAgainst, summary };
  } catch (error) {
    throw await failure(error);
  } finally {
    clearTimeout(stallTimer);
    external?.removeEventListener("abort", onAbort);
  }
}
