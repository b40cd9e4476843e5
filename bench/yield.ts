/**
 * Benchmark: how fast the inference worker stops computing (Linux only: it reads the worker's CPU
 * time from /proc).
 *
 * (a) yield — the sharing rules turn to "not sharing" (a game starts) while a long generation
 *     runs: the fake signal flips, the monitor is poked, and the time until the worker's CPU
 *     goes quiet is measured;
 * (b) cancel — the consumer aborts the openai stream, measured the same way.
 *
 * "Quiet": the worker's utime+stime (its process and its descendants, e.g. inside bubblewrap),
 * read every 10 ms, stops increasing for 3 reads in a row; the figure is the time of the last
 * increase minus the flip (or abort). Target: ≤ 1 s max, ≤ 250 ms median.
 */
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { startCoordinator } from "../coordinator/coordinator";
import { openDatabase } from "../coordinator/db";
import { FileKeyStore } from "../electron/agent/key-store";
import { generateDemoModel } from "../electron/agent/models/demo-model";
import { startNodeHost, type NodeHost } from "../electron/agent/node-host";
import { unknownSignals } from "../electron/agent/node-state";
import type { SignalSampler } from "../electron/agent/signals/signal-sampler";
import { silentLogger } from "../shared/logger";
import type { SignalAvailability, Signals } from "../shared/sharing-types";
import { median, printTable } from "./stats";

const PROMPT = "Once upon a time, in a small village by the sea,";
const CONTEXT_SIZE = 4096;
const MAX_TOKENS = 4000;
const THREADS = 1;
const READ_EVERY_MS = 10;
const QUIET_READS = 3;

const AVAILABLE: SignalAvailability = { idle: false, battery: false, thermal: false, processes: true, fullscreen: false, gpu: false, memory: false };

/** The signals the bench controls: a game runs or not. */
class SwitchSampler implements SignalSampler {
  gameRunning = false;
  async sample(): Promise<Signals> {
    return { ...unknownSignals(Date.now()), processesKnown: true, game: this.gameRunning ? { name: "Cyberpunk 2077", source: "steam" } : null };
  }
  availability(): SignalAvailability {
    return AVAILABLE;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The fields of /proc/<pid>/stat after the command name, or null when the process is gone. */
function statFields(pid: number | string): string[] | null {
  // Read synchronously: an asynchronous read waits for a free libuv thread, which a busy
  // process may not have for seconds, and the reading would be late.
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** `pid` and its descendants, from /proc. */
function processTree(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(entry);
    if (fields) parents.set(Number(entry), Number(fields[1]));
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    for (const [child, parent] of parents) if (parent === tree[i] && !tree.includes(child)) tree.push(child);
  }
  return tree;
}

/** utime + stime of the processes, in clock ticks. */
function cpuTicks(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    const fields = statFields(pid);
    if (fields) total += Number(fields[11]) + Number(fields[12]);
  }
  return total;
}

/** Reads the CPU time every 10 ms until it stays flat for 3 reads; ms from `from` to its last increase. */
async function timeUntilQuiet(pids: readonly number[], from: number): Promise<number> {
  let last = cpuTicks(pids);
  let lastIncreaseAt = from;
  let flat = 0;
  for (let reads = 0; reads < 1000 && flat < QUIET_READS; reads++) {
    await sleep(READ_EVERY_MS);
    const now = cpuTicks(pids);
    if (now > last) {
      lastIncreaseAt = performance.now();
      flat = 0;
    } else {
      flat++;
    }
    last = now;
  }
  return Math.max(0, lastIncreaseAt - from);
}

/**
 * Starts a long streamed completion and resolves once its first tokens arrive, with `rest`: the
 * reading of the remainder (wrapped, since an async function would wait for a returned promise).
 */
async function startLongGeneration(client: OpenAI, model: string, abort: AbortController): Promise<{ rest: Promise<void> }> {
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      const stream = await client.completions.create(
        { model, prompt: PROMPT, max_tokens: MAX_TOKENS, temperature: 0, stream: true },
        { signal: abort.signal },
      );
      const iterator = stream[Symbol.asyncIterator]();
      let pieces = 0;
      while (pieces < 1) {
        const next = await iterator.next();
        if (next.done) throw new Error("the generation ended before it was measured; raise MAX_TOKENS");
        if (next.value.choices[0]?.text) pieces++;
      }
      // Keep reading to the end (or the error of a handed-back job) in the background.
      const rest = (async () => {
        try {
          for (let next = await iterator.next(); !next.done; next = await iterator.next());
        } catch {
          // the stream ends with an error when the job is handed back or aborted
        }
      })();
      return { rest };
    } catch (error) {
      if (abort.signal.aborted) throw error;
      // The coordinator may not yet see the node sharing again: try once more shortly.
      await sleep(50);
    }
  }
  throw new Error("could not start a generation");
}

async function waitReady(node: NodeHost): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const state = await node.agent.getState();
    if (state.ok && state.value.activity === "ready" && state.value.currentJob === null) return;
    await sleep(10);
  }
  throw new Error("the node did not become ready");
}

/** Runs both measurements with `trials` trials each. */
export async function benchYield(trials: number): Promise<void> {
  if (process.platform !== "linux") {
    console.log("\nyield latency: skipped (it reads the worker's CPU time from /proc, Linux only)");
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), "offpeak-bench-yield-"));
  const sampler = new SwitchSampler();
  const db = await openDatabase(undefined);
  const coordinator = await startCoordinator({ db, adminToken: "bench-admin-token", logger: silentLogger });
  let node: NodeHost | null = null;
  try {
    const modelPath = join(dir, "stories15M-shape-q8_0.gguf");
    await generateDemoModel({ path: modelPath, shape: "stories15M", type: "q8_0", seed: 15, contextLength: CONTEXT_SIZE });
    node = await startNodeHost({
      coordinatorUrl: coordinator.wsUrl,
      dataDir: join(dir, "node"),
      // A throwaway wallet: the bench machine may have no keychain.
      keyStore: new FileKeyStore(join(dir, "node")),
      modelPath,
      contextSize: CONTEXT_SIZE,
      threads: THREADS,
      logger: silentLogger,
      sampler,
      // Only the bench's pokes sample: the flip is the moment measured.
      sampleIntervalMs: 60_000,
    });
    const { key } = await coordinator.createApiKey(1_000_000_000, "bench");
    const client = new OpenAI({ apiKey: key, baseURL: `${coordinator.url}/v1`, maxRetries: 0 });
    await waitReady(node);
    // Reading all of /proc is slow on a busy machine: find the worker's processes once per worker.
    let treeOf: { pid: number; pids: number[] } | null = null;
    const firstPid = node.workerPid();
    if (firstPid !== undefined) treeOf = { pid: firstPid, pids: processTree(firstPid) };
    const state = await node.agent.getState();
    const model = state.ok ? state.value.model?.id : undefined;
    if (!model) throw new Error("the node did not load the model");

    const yields: number[] = [];
    const cancels: number[] = [];
    let idle = 0;
    for (let attempt = 0; attempt < trials * 4 && (yields.length < trials || cancels.length < trials); attempt++) {
      for (const kind of ["yield", "cancel"] as const) {
        if ((kind === "yield" ? yields : cancels).length >= trials) continue;
        await waitReady(node);
        const abort = new AbortController();
        const { rest } = await startLongGeneration(client, model, abort);
        const pid = node.workerPid();
        if (pid === undefined) throw new Error("no worker process");
        if (treeOf?.pid !== pid) treeOf = { pid, pids: processTree(pid) };
        const pids = treeOf.pids;
        // Only a worker seen computing counts: its CPU time rose over the last reads.
        const busyFrom = cpuTicks(pids);
        await sleep(3 * READ_EVERY_MS);
        if ((cpuTicks(pids)) === busyFrom) {
          idle++;
          abort.abort();
          await rest;
          continue;
        }
        const from = performance.now();
        if (kind === "yield") {
          sampler.gameRunning = true;
          void node.monitor.poke();
        } else {
          abort.abort();
        }
        const ms = await timeUntilQuiet(pids, from);
        (kind === "yield" ? yields : cancels).push(ms);
        await rest;
        if (kind === "yield") {
          sampler.gameRunning = false;
          await node.monitor.poke();
        }
      }
    }
    const row = (label: string, values: number[]): [string, string][] => [
      [`${label}: median ms (target ≤ 250)`, median(values).toFixed(0)],
      [`${label}: max ms (target ≤ 1000)`, Math.max(...values).toFixed(0)],
    ];
    printTable(`worker stops computing — stories15M-shape q8_0, threads ${THREADS}, ${trials} trials each (CPU time read every ${READ_EVERY_MS} ms, counted in 10 ms clock ticks: 0 means within one tick)`, [
      ...row("yield (a game starts)", yields),
      ...row("cancel (the consumer aborts)", cancels),
      ["trials skipped: the worker was not computing at the flip", String(idle)],
    ]);
  } finally {
    await node?.stop();
    await coordinator.close();
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.env.NODE_LLAMA_CPP_GPU ??= "false";
  await benchYield(Number(process.env.BENCH_YIELD_TRIALS ?? 20));
}
