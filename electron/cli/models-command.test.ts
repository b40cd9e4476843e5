import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { modelsViewSchema } from "../../shared/control-api";
import { generateDemoModel } from "../agent/models/demo-model";
import { startModelTestServer, type ModelTestServer } from "../agent/models/download-test-server";
import type { CatalogEntry } from "../agent/models/model-manager";
import type { CliIo } from "./main";
import { formatProgressLine, runModelsCommand } from "./models-command";

const BIN = resolve(process.cwd(), "bin/offpeak.mjs");
const REPO_FILE = "/acme/tiny-GGUF/resolve/main/tiny.gguf";

let model: Buffer;
let modelSha: string;
let server: ModelTestServer;
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "offpeak-models-cli-"));
  const generated = await generateDemoModel({ path: join(root, "source.gguf"), shape: "tiny", type: "f32" });
  model = await readFile(generated.path);
  modelSha = generated.sha256;
  server = await startModelTestServer();
});

afterAll(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

beforeEach(() => {
  server.files.clear();
  server.requests.length = 0;
});

/** Runs the real `offpeak` command in a child process. */
function offpeak(args: string[], timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NODE_LLAMA_CPP_GPU: "false", OFFPEAK_HF_BASE_URL: server.baseUrl },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`offpeak ${args.join(" ")} did not exit within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

function memoryIo(): CliIo & { out: (l: string) => void; lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l), stopSignal: new Promise(() => undefined) };
}

describe("offpeak models", () => {
  it("pulls an hf: model from the configured base URL with progress, lists it, and removes it", async () => {
    const dataDir = join(root, "data-cli");
    server.files.set(REPO_FILE, { body: model, linkedEtag: modelSha, chunkBytes: 16 * 1024, chunkDelayMs: 40 });

    const pulled = await offpeak(["models", "pull", "hf:acme/tiny-GGUF/tiny.gguf", "--data-dir", dataDir]);
    expect(pulled.stderr).toMatch(/\d+% \[#*-*\] \d+\.\d MB\/s ETA/);
    expect(pulled.stderr).not.toContain("0 bytes");
    expect(pulled.stderr).toContain("100% [########################]");
    const percents = [...pulled.stderr.matchAll(/^\s*(\d+)% /gm)].map((m) => Number(m[1]));
    expect(percents.length).toBeGreaterThanOrEqual(3);
    expect(percents.length).toBeLessThanOrEqual(25);
    expect(pulled.stdout).toContain("sha256 matches the one the server publishes");
    expect(pulled.code).toBe(0);
    const installedPath = join(dataDir, "models", "tiny.gguf");
    expect((await readFile(installedPath)).equals(model)).toBe(true);

    const listed = await offpeak(["models", "list", "--json", "--data-dir", dataDir]);
    expect(listed.code).toBe(0);
    const view = modelsViewSchema.parse(JSON.parse(listed.stdout));
    expect(view.installed).toEqual([expect.objectContaining({ id: "tiny", path: installedPath, bytes: model.length, active: false, demo: false })]);
    expect(view.catalog.length).toBeGreaterThan(0);

    const removed = await offpeak(["models", "rm", "tiny", "--data-dir", dataDir]);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain("Removed tiny");
    expect(existsSync(installedPath)).toBe(false);
  });

  it("draws a redrawn bar on a terminal and prints a table", async () => {
    const dataDir = join(root, "data-tty");
    server.files.set(REPO_FILE, { body: model, linkedEtag: modelSha, chunkBytes: 16 * 1024, chunkDelayMs: 10 });
    const writes: string[] = [];
    const io = memoryIo();
    const deps = {
      env: { OFFPEAK_HF_BASE_URL: server.baseUrl },
      progress: { isTTY: true, write: (t: string) => writes.push(t) },
      catalog: [] as CatalogEntry[],
      judge: () => ({ verdict: "fits" as const, reason: "fits" }),
    };
    expect(await runModelsCommand(["pull", "hf:acme/tiny-GGUF/tiny.gguf", "--data-dir", dataDir], io, deps)).toBe(0);
    expect(writes.some((w) => w.startsWith("\r") && /\d+% \[/.test(w))).toBe(true);
    expect(io.errors).toEqual([]);

    const table = memoryIo();
    expect(await runModelsCommand(["list", "--data-dir", dataDir], table, deps)).toBe(0);
    expect(table.lines[0]).toMatch(/^ID\s+SIZE\s+VERDICT\s+INSTALLED\s+ACTIVE$/);
    expect(table.lines[1]).toMatch(/^tiny\s+702\.5 kB\s+-\s+yes$/);
  });

  it("exits non-zero with the reason when the download cannot be verified", async () => {
    const dataDir = join(root, "data-bad");
    server.files.set(REPO_FILE, { body: model });
    const io = memoryIo();
    const catalog: CatalogEntry[] = [
      {
        id: "tiny-bad", name: "Tiny", uri: "hf:acme/tiny-GGUF/tiny.gguf", fileName: "tiny.gguf", sizeBytes: model.length,
        quantization: "F32", parameters: "0.3M", contextLength: 2048, minMemoryBytes: 1e8, licence: "MIT", sha256: "a".repeat(64),
      },
    ];
    const deps = { env: { OFFPEAK_HF_BASE_URL: server.baseUrl }, progress: { isTTY: false, write: () => undefined }, catalog, judge: () => ({ verdict: "fits" as const, reason: "" }) };
    expect(await runModelsCommand(["pull", "tiny-bad", "--data-dir", dataDir], io, deps)).toBe(1);
    expect(io.errors.join("\n")).toContain(`Checksum mismatch for ${server.baseUrl}${REPO_FILE}: expected ${"a".repeat(64)}, got ${modelSha}; the file was deleted`);
    expect(existsSync(join(dataDir, "models", "tiny.gguf"))).toBe(false);

    expect(await runModelsCommand(["pull", "--data-dir", dataDir], memoryIo(), deps)).toBe(2);
    const missing = memoryIo();
    expect(await runModelsCommand(["rm", "nothing", "--data-dir", dataDir], missing, deps)).toBe(1);
    expect(missing.errors[0]).toMatch(/No installed model "nothing"/);
  });

  it("formats progress with percent, speed, ETA and sizes", () => {
    const line = formatProgressLine({
      id: "d", name: "m", receivedBytes: 1_230_000_000, totalBytes: 4_100_000_000, bytesPerSecond: 25_000_000,
      etaSeconds: 114.8, state: "downloading", error: null,
    });
    expect(line).toBe(" 30% [#######-----------------] 25.0 MB/s ETA 1m55s (1.2 GB of 4.1 GB)");
  });
});
