/**
 * `offpeak models list|pull|rm`: the models of a data folder, worked on directly (no running node
 * needed). `pull` shows a progress bar on stderr and exits 0 only for a verified model. `hf:`
 * references resolve against https://huggingface.co, or OFFPEAK_HF_BASE_URL when set (a mirror,
 * or a local server in tests).
 */
import { join } from "node:path";
import { nodeStateSchema, type DownloadProgress, type ModelsView } from "../../shared/control-api";
import { readControlFile } from "../agent/control-file";
import { prepareDataDir, resolveDataDir, type DataPaths } from "../agent/data-dir";
import { formatBytes } from "../agent/models/downloader";
import { HF_BASE_URL } from "../agent/models/hf-uri";
import { ModelLibrary } from "../agent/models/model-library";
import type { CatalogEntry, ModelJudgement } from "../agent/models/model-manager";
import { createConsoleLogger } from "./console-logger";
import type { CliIo } from "./main";
import { parseSubcommandArgs } from "./command-args";

/** Where `pull` draws its progress bar; a TTY gets one redrawn line, anything else a line per ~5 %. */
export interface ProgressSink {
  readonly isTTY: boolean;
  write(text: string): void;
}

/** What the models command can be given instead of the real thing (tests). */
export interface ModelsCommandDeps {
  readonly env?: NodeJS.ProcessEnv;
  readonly progress?: ProgressSink;
  readonly catalog?: readonly CatalogEntry[];
  readonly judge?: (entry: CatalogEntry) => ModelJudgement;
}

const MODELS_USAGE = `Usage: offpeak models <list|pull|rm> [options]

  models list [--json] [--data-dir DIR]         installed models and the catalog, with a verdict for this machine
  models pull <id|hf:owner/repo/file.gguf|https://…> [--data-dir DIR]   download and verify a model
  models rm <id> [--data-dir DIR]               delete an installed model (not the one being served)

hf: references resolve against OFFPEAK_HF_BASE_URL when it is set (default https://huggingface.co).`;

/** One line of progress: percent, bar, speed, ETA and sizes. */
export function formatProgressLine(p: DownloadProgress): string {
  const speed = `${(p.bytesPerSecond / 1e6).toFixed(1)} MB/s`;
  if (p.totalBytes === null || p.totalBytes === 0) return `${formatBytes(p.receivedBytes)} ${speed}`;
  const fraction = Math.min(1, p.receivedBytes / p.totalBytes);
  const width = 24;
  const filled = Math.round(fraction * width);
  const eta = p.etaSeconds === null ? "--" : formatDuration(p.etaSeconds);
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  return `${percent} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${speed} ETA ${eta} (${formatBytes(p.receivedBytes)} of ${formatBytes(p.totalBytes)})`;
}

function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** The model file the node running on this data folder serves, or null when none answers. */
async function runningModelPath(paths: DataPaths): Promise<{ path: string | null; backend: string | null }> {
  const control = await readControlFile(paths.controlFile);
  if (!control.ok) return { path: null, backend: null };
  try {
    const response = await fetch(`http://127.0.0.1:${control.value.port}/api/state`, {
      headers: { authorization: `Bearer ${control.value.token}` },
      signal: AbortSignal.timeout(2000),
    });
    const parsed = nodeStateSchema.safeParse(await response.json());
    if (!response.ok || !parsed.success) return { path: null, backend: null };
    return { path: parsed.data.model?.path ?? null, backend: parsed.data.hardware?.backend ?? null };
  } catch {
    return { path: null, backend: null };
  }
}

/** The catalog and a judge for this machine (the machine is profiled only when a verdict is asked for). */
async function catalogAndJudge(deps: ModelsCommandDeps, env: NodeJS.ProcessEnv, backendHint: string | null, needJudge: boolean) {
  const catalog = deps.catalog ?? (await import("../agent/models/catalog")).CATALOG;
  if (deps.judge) return { catalog, judge: deps.judge };
  if (!needJudge) return { catalog, judge: (): ModelJudgement => ({ verdict: "fits", reason: "not judged" }) };
  const { judgeCatalogEntry, readMachineProfile } = await import("../agent/models/machine-profile");
  const backends = ["metal", "cuda", "vulkan", "cpu"] as const;
  const hinted = backends.find((b) => b === backendHint);
  const cpuOnly = env.NODE_LLAMA_CPP_GPU === "false" || hinted === "cpu";
  const profile = await readMachineProfile(cpuOnly ? { known: { backend: "cpu", vramBytes: null } } : {});
  return { catalog, judge: (entry: CatalogEntry) => judgeCatalogEntry(entry, profile) };
}

function printTable(view: ModelsView, catalog: readonly CatalogEntry[], modelsDir: string, io: CliIo): void {
  const rows: string[][] = [["ID", "SIZE", "VERDICT", "INSTALLED", "ACTIVE"]];
  const catalogFiles = new Set(catalog.map((e) => join(modelsDir, e.fileName)));
  for (const entry of view.catalog) {
    const file = catalog.find((e) => e.id === entry.id);
    const installed = file ? view.installed.find((m) => !m.demo && m.path === join(modelsDir, file.fileName)) : undefined;
    rows.push([entry.id, formatBytes(entry.sizeBytes), entry.verdict, entry.installed ? "yes" : "no", installed?.active ? "yes" : ""]);
  }
  for (const model of view.installed) {
    if (catalogFiles.has(model.path)) continue;
    rows.push([model.demo ? `${model.id} (demo)` : model.id, formatBytes(model.bytes), "-", "yes", model.active ? "yes" : ""]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const row of rows) io.out(row.map((cell, c) => cell.padEnd(widths[c]!)).join("  ").trimEnd());
  for (const entry of view.catalog.filter((e) => e.verdict === "does-not-fit")) io.out(`${entry.id}: ${entry.verdictReason}`);
}

async function pull(library: ModelLibrary, ref: string, io: CliIo, sink: ProgressSink): Promise<number> {
  const { downloadId } = await library.pull(ref);
  let lastStep = -1;
  let lastBytesLine = 0;
  let verifyingShown = false;
  const show = (): void => {
    const p = library.downloads().find((d) => d.id === downloadId);
    if (!p || p.state === "done" || p.state === "failed" || p.state === "cancelled") return;
    if (p.state === "downloading" && p.receivedBytes === 0 && p.totalBytes === null) return;
    if (p.state === "verifying") {
      if (!verifyingShown && !sink.isTTY) io.err(`Verifying ${p.name}…`);
      verifyingShown = true;
      if (sink.isTTY) sink.write(`\r\x1b[2KVerifying ${p.name}…`);
      return;
    }
    verifyingShown = false;
    if (sink.isTTY) {
      sink.write(`\r\x1b[2K${formatProgressLine(p)}`);
      return;
    }
    if (p.totalBytes) {
      const step = Math.floor((Math.min(1, p.receivedBytes / p.totalBytes) * 100) / 5);
      if (step > lastStep) {
        lastStep = step;
        io.err(formatProgressLine(p));
      }
    } else if (lastBytesLine === 0 || p.receivedBytes - lastBytesLine >= 10e6) {
      lastBytesLine = p.receivedBytes;
      io.err(formatProgressLine(p));
    }
  };
  const stop = library.onChange(show);
  let interrupted = false;
  void io.stopSignal.then(() => {
    interrupted = true;
    library.cancel(downloadId);
  });
  const final = await library.settled(downloadId);
  stop();
  if (sink.isTTY) sink.write("\r\x1b[2K");
  if (!final) throw new Error(`download ${downloadId} vanished`);
  if (final.state === "done") {
    if (!sink.isTTY) io.err(formatProgressLine(final));
    const result = library.downloadResult(downloadId);
    const checked =
      result?.verifiedAgainst === "expected" ? "sha256 matches the catalog"
        : result?.verifiedAgainst === "server" ? "sha256 matches the one the server publishes"
          : "no published sha256 to check; the GGUF header is valid";
    io.out(`Installed ${final.name} (${formatBytes(final.receivedBytes)}, ${checked}): ${result?.path ?? "?"}`);
    return 0;
  }
  io.err(final.error ?? `the download ${final.state}`);
  return interrupted ? 130 : 1;
}

/** Runs `offpeak models …` with the arguments after `models`; returns the exit code. */
export async function runModelsCommand(args: readonly string[], io: CliIo, deps: ModelsCommandDeps = {}): Promise<number> {
  const parsed = parseSubcommandArgs("models", args, { "data-dir": { type: "string" }, json: { type: "boolean" }, verbose: { type: "boolean" } }, MODELS_USAGE, io);
  if (typeof parsed === "number") return parsed;
  const { sub, values, positionals } = parsed;
  const wanted = sub === "list" ? 0 : 1;
  if (!["list", "pull", "rm"].includes(sub) || positionals.length !== wanted) {
    io.err(sub === "list" || sub === "pull" || sub === "rm" ? `offpeak models ${sub}: expected ${wanted === 0 ? "no argument" : "one argument"}\n\n${MODELS_USAGE}` : `offpeak models: unknown subcommand "${sub}"\n\n${MODELS_USAGE}`);
    return 2;
  }
  const env = deps.env ?? process.env;
  try {
    const paths = await prepareDataDir(resolveDataDir(values["data-dir"], env));
    const running = sub === "pull" ? { path: null, backend: null } : await runningModelPath(paths);
    const { catalog, judge } = await catalogAndJudge(deps, env, running.backend, sub === "list");
    const library = new ModelLibrary({
      modelsDir: paths.models,
      demoDir: paths.demo,
      catalog,
      judge,
      hfBaseUrl: env.OFFPEAK_HF_BASE_URL ?? HF_BASE_URL,
      logger: createConsoleLogger(values.verbose ? "debug" : "error", (line) => io.err(line.replace(/\n$/, ""))),
      isActive: (path) => running.path !== null && path === running.path,
    });
    if (sub === "list") {
      const view = await library.list(running.path);
      if (values.json) io.out(JSON.stringify(view, null, 2));
      else printTable(view, catalog, paths.models, io);
      return 0;
    }
    if (sub === "pull") {
      const sink = deps.progress ?? { isTTY: Boolean(process.stderr.isTTY), write: (text: string) => process.stderr.write(text) };
      return await pull(library, positionals[0]!, io, sink);
    }
    await library.remove(positionals[0]!);
    io.out(`Removed ${positionals[0]!}`);
    return 0;
  } catch (error) {
    io.err(`offpeak models ${sub}: ${(error as Error).message}`);
    return 1;
  }
}
