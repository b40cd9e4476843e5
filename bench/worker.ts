/**
 * Benchmark: the inference worker process (through WorkerSupervisor and the Node spawner)
 * against the same generator in-process, on one model file with the same settings, measured in
 * one run: decode tokens/s as a ratio, the worker's start-to-ready and model load times, and,
 * where this machine has a working OS sandbox, the sandboxed worker against the plain one.
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Sampling } from "../shared/protocol";
import { agentToWorkerMessage, parseWorkerToAgentMessage } from "../shared/worker-protocol";
import { generateDemoModel } from "../electron/agent/models/demo-model";
import { detectSandbox } from "../electron/agent/sandbox/sandbox";
import { NodeWorkerSpawner, type NodeWorkerSpawnerOptions } from "../electron/agent/worker-spawner";
import { WorkerSupervisor } from "../electron/agent/worker-supervisor";
import { LlamaGenerator } from "../electron/worker/generator";
import { median, printTable } from "./stats";

const PROMPT = "Once upon a time, in a small village by the sea,";
const MAX_TOKENS = 200;
const CONTEXT_SIZE = 512;
const THREADS = 1;
const STARTUP_TRIALS = 3;
const APP_ROOT = fileURLToPath(new URL("..", import.meta.url));

interface Trial {
  /** Decode rate: tokens after the first batch over the time from the first batch to the last. */
  readonly tokensPerSecond: number;
  /** From the call to the result. */
  readonly totalMs: number;
  readonly text: string;
}

type Generate = (onChunk: (text: string, count: number) => void) => Promise<{ completionTokens: number; text: string }>;

async function trial(generate: Generate): Promise<Trial> {
  const start = performance.now();
  let first = 0;
  let last = 0;
  let firstCount = 0;
  const result = await generate((_text, count) => {
    last = performance.now();
    if (!first) {
      first = last;
      firstCount = count;
    }
  });
  const totalMs = performance.now() - start;
  return { tokensPerSecond: ((result.completionTokens - firstCount) * 1000) / (last - first), totalMs, text: result.text };
}

/** Spawn → `ready` → `load` → `loaded` on a raw worker process, timed. */
async function startupTrial(spawner: NodeWorkerSpawner, modelPath: string): Promise<{ readyMs: number; loadMs: number }> {
  const handle = spawner.spawn();
  const start = performance.now();
  try {
    return await new Promise((resolve, reject) => {
      let readyAt = 0;
      const timer = setTimeout(() => reject(new Error("the worker did not load the model within 60 s")), 60_000);
      handle.onExit((code, signal) => reject(new Error(`the worker exited (${code ?? signal})`)));
      handle.onMessage((raw) => {
        const parsed = parseWorkerToAgentMessage(raw);
        if (!parsed.ok) return;
        if (parsed.value.type === "ready") {
          readyAt = performance.now();
          handle.send(agentToWorkerMessage({ type: "load", modelPath, contextSize: CONTEXT_SIZE, threads: THREADS, gpu: false }));
        } else if (parsed.value.type === "loaded") {
          clearTimeout(timer);
          resolve({ readyMs: readyAt - start, loadMs: performance.now() - readyAt });
        } else if (parsed.value.type === "load-failed") {
          clearTimeout(timer);
          reject(new Error(parsed.value.message));
        }
      });
    });
  } finally {
    handle.kill("SIGKILL");
  }
}

function supervisorFor(modelPath: string, spawner: NodeWorkerSpawnerOptions): WorkerSupervisor {
  return new WorkerSupervisor({
    spawner: new NodeWorkerSpawner(spawner),
    modelPath,
    modelId: "bench",
    modelLabel: "bench",
    demo: true,
    contextSize: CONTEXT_SIZE,
    threads: THREADS,
    gpu: false,
  });
}

/** Runs the comparison with `rounds` alternating trials of each side (at least 5). */
export async function benchWorker(rounds: number): Promise<void> {
  rounds = Math.max(5, rounds);
  const dir = await mkdtemp(join(tmpdir(), "offpeak-bench-worker-"));
  const engines: WorkerSupervisor[] = [];
  let inProcess: LlamaGenerator | null = null;
  try {
    const modelDir = join(dir, "models");
    await mkdir(modelDir);
    const modelPath = join(modelDir, "stories15M-shape-q8_0.gguf");
    await generateDemoModel({ path: modelPath, shape: "stories15M", type: "q8_0", seed: 15 });
    const workerHome = join(dir, "worker-home");
    await mkdir(workerHome, { recursive: true });
    const sampling: Sampling = { maxTokens: MAX_TOKENS, temperature: 0, topP: 1, stop: [] };
    const request = { input: { kind: "completion" as const, prompt: PROMPT }, sampling };

    // Start-up: a fresh process each time; the in-process load is the baseline of the load.
    const startups = [];
    for (let i = 0; i < STARTUP_TRIALS; i++) startups.push(await startupTrial(new NodeWorkerSpawner({ home: workerHome }), modelPath));
    const inProcessLoads: number[] = [];
    for (let i = 0; i < STARTUP_TRIALS; i++) {
      const start = performance.now();
      const generator = await LlamaGenerator.load({ modelPath, contextSize: CONTEXT_SIZE, threads: THREADS, gpu: false });
      inProcessLoads.push(performance.now() - start);
      if (i < STARTUP_TRIALS - 1) await generator.dispose();
      else inProcess = generator;
    }
    const local = inProcess!;

    const plain = supervisorFor(modelPath, { home: workerHome });
    engines.push(plain);
    const superviseStart = performance.now();
    await plain.start();
    const superviseMs = performance.now() - superviseStart;

    const sandbox = await detectSandbox({ appRoot: APP_ROOT, modelDirs: [modelDir], workerHome });
    let sandboxed: WorkerSupervisor | null = null;
    let noSandbox = sandbox.status.detail;
    if (sandbox.wrap) {
      const lines: string[] = [];
      const keep = (message: string) => void lines.push(message);
      const candidate = supervisorFor(modelPath, { home: workerHome, wrap: sandbox.wrap, logger: { debug: keep, info: keep, warn: keep, error: keep } });
      engines.push(candidate);
      try {
        await candidate.start();
        sandboxed = candidate;
      } catch (error) {
        noSandbox = `the sandboxed worker did not start: ${error instanceof Error ? error.message : String(error)} ${lines.slice(-3).join(" | ")}`;
      }
    }

    let jobs = 0;
    const viaWorker = (engine: WorkerSupervisor): Generate => (onChunk) => engine.generate({ jobId: `bench-${jobs++}`, ...request }, onChunk, new AbortController().signal);
    const sides: [string, Generate][] = [
      ["in-process", (onChunk) => local.generate(request, onChunk)],
      ["worker", viaWorker(plain)],
      ...(sandboxed ? [["worker, sandboxed", viaWorker(sandboxed)] as [string, Generate]] : []),
    ];
    // Warm every side once and check that they agree, then alternate so drift hits all alike.
    const warm = await Promise.all(sides.map(async ([, generate]) => (await trial(generate)).text));
    if (new Set(warm).size !== 1) throw new Error("the worker and in-process disagree at temperature 0");
    const trials = new Map<string, Trial[]>(sides.map(([name]) => [name, []]));
    for (let round = 0; round < rounds; round++) {
      for (const [name, generate] of round % 2 ? [...sides].reverse() : sides) trials.get(name)!.push(await trial(generate));
    }
    const tps = (name: string) => median(trials.get(name)!.map((t) => t.tokensPerSecond));
    const total = (name: string) => median(trials.get(name)!.map((t) => t.totalMs));

    const rows: [string, string][] = [
      ["in-process tokens/s (median)", tps("in-process").toFixed(1)],
      ["worker tokens/s (median)", tps("worker").toFixed(1)],
      ["ratio worker / in-process tokens/s (target ≥ 0.98)", (tps("worker") / tps("in-process")).toFixed(3)],
      ["ratio in-process / worker time per job (median; 1 = no overhead)", (total("in-process") / total("worker")).toFixed(3)],
      ["worker spawn to ready, ms (median of fresh processes)", median(startups.map((s) => s.readyMs)).toFixed(0)],
      ["worker model load, ms (median)", median(startups.map((s) => s.loadMs)).toFixed(0)],
      ["in-process model load, ms (median)", median(inProcessLoads).toFixed(0)],
      ["ratio worker / in-process model load", (median(startups.map((s) => s.loadMs)) / median(inProcessLoads)).toFixed(2)],
      ["supervisor start() to ready, ms (spawn + handshake + load)", superviseMs.toFixed(0)],
    ];
    if (sandboxed) {
      rows.push(["worker sandboxed tokens/s (median)", tps("worker, sandboxed").toFixed(1)]);
      rows.push(["ratio sandboxed / plain worker tokens/s", (tps("worker, sandboxed") / tps("worker")).toFixed(3)]);
    } else {
      rows.push(["sandboxed vs plain worker", `not measured: ${noSandbox}`]);
    }
    printTable(
      `inference worker vs in-process — stories15M-shape q8_0 (random weights), ${MAX_TOKENS} tokens, ${THREADS} thread, ${rounds} alternating rounds`,
      rows,
    );
  } finally {
    for (const engine of engines) await engine.stop();
    await inProcess?.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}
