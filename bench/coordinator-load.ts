/**
 * Benchmark: the coordinator under load, with simulated nodes that speak the real node protocol.
 * The coordinator runs in its own process (bench/load-server.ts) so its memory is measured
 * alone; the simulated nodes and the consumers live in this one.
 * 1. Memory per idle connected node: the coordinator's RSS and heap (after a full GC) before and
 *    after `nodes` nodes log in (bounded concurrency).
 * 2. Streamed requests/s: `consumers` loops of plain `fetch` with `stream: true` for a fixed time,
 *    each answer 8 tokens from a simulated node with no delay between tokens (the node's timer
 *    still ticks once per token). Baseline: a minimal node:http server in its own process that
 *    streams the same SSE events on the same timer.
 * 3. p50/p99 time to first byte, total, and time per further token, and what the coordinator adds.
 * 4. The same with one consumer at a time, so what the coordinator adds is its own work, not queueing.
 * `node --import tsx bench/coordinator-load.ts` runs it alone; `bench/run.ts` runs it with the rest.
 */
import { fork, type ChildProcess } from "node:child_process";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { resolve } from "node:path";
import { SimNode } from "../coordinator/test-support/sim-node";
import { startThrowawayPostgres } from "../tests/support/postgres";
import { LOAD_ADMIN_TOKEN, type LoadServerCommand, type LoadServerReply } from "./load-server";
import { captureEvents, runConsumers, type LoadResult, type LoadTarget } from "./load-consumers";
import { median, percentile, printTable } from "./stats";

const TOKENS = Array.from({ length: 8 }, (_, i) => ` word${i}`);
const TOKEN_INTERVAL_MS = 0;
const MODEL = "sim-model";
const LOGIN_CONCURRENCY = 32;
/** Nodes connected before the first memory reading, so lazy start-up costs are not counted per node. */
const WARM_NODES = 8;
const KIB = 1024;
const TARGET_KIB_PER_NODE = 64;
const TARGET_REQUESTS_PER_SECOND = 2_000;
const SERVER_SCRIPT = fileURLToPath(new URL("./load-server.ts", import.meta.url));

/** A load-server child process with a typed IPC channel. */
class LoadServerProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly wsUrl: string,
  ) {}

  static async start(kind: "coordinator" | "coordinator-db" | "baseline", env: Record<string, string> = {}): Promise<LoadServerProcess> {
    const child = fork(SERVER_SCRIPT, [kind], { execArgv: ["--import", "tsx", "--expose-gc"], env: { ...process.env, ...env }, stdio: ["ignore", "inherit", "inherit", "ipc"] });
    try {
      const ready = await nextReply(child, 60_000);
      if (ready.type !== "ready") throw new Error(`${kind} server did not start: ${ready.type === "failed" ? ready.error : ready.type}`);
      return new LoadServerProcess(child, ready.url, ready.wsUrl);
    } catch (err) {
      child.kill("SIGKILL");
      throw err;
    }
  }

  /** The server's memory after a full GC, and its CPU time so far. */
  async memory(): Promise<{ usage: NodeJS.MemoryUsage; cpu: NodeJS.CpuUsage }> {
    const answer = nextReply(this.child, 30_000);
    this.send({ cmd: "memory" });
    const r = await answer;
    if (r.type !== "memory") throw new Error(`expected a memory reading, got ${r.type}`);
    return { usage: r.usage, cpu: r.cpu };
  }

  /** Starts a CPU profile of the server (dir null), or writes the running one into `dir`. */
  async profile(dir: string | null): Promise<string | null> {
    const answer = nextReply(this.child, 30_000);
    this.send({ cmd: "profile", dir });
    const r = await answer;
    if (r.type !== "profiled") throw new Error(`expected a profile, got ${r.type}`);
    return r.path;
  }

  /** Asks the server to close and waits (bounded) for its exit; kills it if it hangs. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once("exit", () => r()));
    this.send({ cmd: "stop" });
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }

  private send(cmd: LoadServerCommand): void {
    this.child.send(cmd);
  }
}

function nextReply(child: ChildProcess, timeoutMs: number): Promise<LoadServerReply> {
  return new Promise((resolveReply, reject) => {
    const done = () => {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
    };
    const onMessage = (m: LoadServerReply) => {
      done();
      resolveReply(m);
    };
    const onExit = (code: number | null) => {
      done();
      reject(new Error(`load server exited (code ${code})`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`load server: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on("message", onMessage);
    child.once("exit", onExit);
  });
}

/** Connects `count` simulated nodes, `LOGIN_CONCURRENCY` logins at a time. */
async function connectNodes(wsUrl: string, count: number, into: SimNode[]): Promise<{ failed: number; firstFailure: string | null; seconds: number }> {
  let next = 0;
  let failed = 0;
  let firstFailure: string | null = null;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(LOGIN_CONCURRENCY, count) }, async () => {
      while (next < count) {
        next++;
        try {
          const node = await SimNode.connect({ wsUrl, tokens: TOKENS, tokenIntervalMs: TOKEN_INTERVAL_MS, promptTokens: 4 });
          into.push(node);
          if (node.messages("welcome").length === 0) throw new Error(`refused: ${JSON.stringify(node.messages("error")[0])}`);
        } catch (err) {
          failed++;
          firstFailure ??= String(err);
        }
      }
    }),
  );
  return { failed, firstFailure, seconds: (performance.now() - t0) / 1000 };
}

async function createKey(url: string): Promise<string> {
  const res = await fetch(`${url}/admin/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${LOAD_ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ creditMicroUsd: 1_000_000_000_000, name: "load bench", ratePerMinute: 1_000_000 }),
    signal: AbortSignal.timeout(10_000),
  });
  if (res.status !== 201) throw new Error(`creating the bench key: status ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { key: string }).key;
}

const p = (values: readonly number[], q: number) => (q === 50 ? median(values) : percentile(values, q));
const fmt = (n: number, digits = 2) => n.toFixed(digits);
const perToken = (r: LoadResult) => r.totalMs.map((t, i) => (t - (r.ttfbMs[i] as number)) / (TOKENS.length - 1));
const merge = (runs: readonly LoadResult[]): LoadResult => ({
  completed: runs.reduce((s, r) => s + r.completed, 0),
  failed: runs.reduce((s, r) => s + r.failed, 0),
  firstFailure: runs.find((r) => r.firstFailure)?.firstFailure ?? null,
  seconds: runs.reduce((s, r) => s + r.seconds, 0),
  ttfbMs: runs.flatMap((r) => r.ttfbMs),
  totalMs: runs.flatMap((r) => r.totalMs),
});

/** Options of the load bench. */
export interface CoordinatorLoadOptions {
  readonly nodes: number;
  readonly consumers: number;
  /** Load time per side, split over `rounds` alternating runs. */
  readonly seconds: number;
  readonly rounds: number;
  /** Run the coordinator on a throwaway PostgreSQL server instead of in-memory PGlite. */
  readonly postgres?: boolean;
}

/** Runs the coordinator load bench and prints its table. */
export async function benchCoordinatorLoad(o: CoordinatorLoadOptions): Promise<void> {
  const nodes: SimNode[] = [];
  const servers: LoadServerProcess[] = [];
  // BENCH_LOAD_POSTGRES=1: the coordinator on a throwaway PostgreSQL server (fsync off) instead
  // of in-memory PGlite; the database's own CPU is then in its processes, not the coordinator's.
  const postgres = o.postgres ? await startThrowawayPostgres({ database: "offpeak_load" }) : null;
  try {
    const coordinator = postgres
      ? await LoadServerProcess.start("coordinator-db", { BENCH_LOAD_DB: postgres.url, BENCH_LOAD_QUEUE_WAIT_MS: "60000" })
      : await LoadServerProcess.start("coordinator");
    servers.push(coordinator);
    const key = await createKey(coordinator.url);
    const target: LoadTarget = {
      url: `${coordinator.url}/v1/completions`,
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, prompt: "Say something", max_tokens: TOKENS.length, stream: true }),
    };
    const warm = await connectNodes(coordinator.wsUrl, WARM_NODES, nodes);
    if (warm.failed > 0) throw new Error(`warm-up nodes failed to log in: ${warm.firstFailure}`);
    const events = await captureEvents(target);
    await runConsumers(target, 4, 1);

    // 1. Memory per idle node.
    const { usage: before } = await coordinator.memory();
    const login = await connectNodes(coordinator.wsUrl, o.nodes, nodes);
    await new Promise((r) => setTimeout(r, 500));
    const { usage: after } = await coordinator.memory();
    const connected = o.nodes - login.failed;
    const per = (k: "rss" | "heapUsed" | "external") => (after[k] - before[k]) / Math.max(1, connected) / KIB;

    // 2 and 3. Streamed load, alternating with the baseline so drift hits both sides alike.
    const baseline = await LoadServerProcess.start("baseline", { BENCH_LOAD_EVENTS: JSON.stringify(events), BENCH_LOAD_TOKEN_INTERVAL_MS: String(TOKEN_INTERVAL_MS) });
    servers.push(baseline);
    const baseTarget: LoadTarget = { ...target, url: `${baseline.url}/v1/completions` };
    await runConsumers(baseTarget, o.consumers, 1);
    await runConsumers(target, o.consumers, 1);
    const coordRuns: LoadResult[] = [];
    const profileDir = process.env.BENCH_LOAD_CPU_PROF ?? null;
    let coordCpuUs = 0;
    // This process (the consumers and the simulated nodes) shares the machine with the coordinator.
    let harnessCpuUs = 0;
    const baseRuns: LoadResult[] = [];
    for (let round = 0; round < o.rounds; round++) {
      baseRuns.push(await runConsumers(baseTarget, o.consumers, o.seconds / o.rounds));
      const cpu0 = (await coordinator.memory()).cpu;
      const harness0 = process.cpuUsage();
      // BENCH_LOAD_CPU_PROF=<dir> writes a CPU profile of the coordinator under load there (the first round).
      if (profileDir && round === 0) await coordinator.profile(null);
      coordRuns.push(await runConsumers(target, o.consumers, o.seconds / o.rounds));
      if (profileDir && round === 0) console.log(`  coordinator CPU profile under load: ${await coordinator.profile(profileDir)}`);
      const harness1 = process.cpuUsage(harness0);
      harnessCpuUs += harness1.user + harness1.system;
      const cpu1 = (await coordinator.memory()).cpu;
      coordCpuUs += cpu1.user - cpu0.user + cpu1.system - cpu0.system;
    }
    // 4. The overhead one request pays when nothing queues: one consumer at a time.
    const soloSeconds = Math.max(1, o.seconds / 4);
    const soloBase: LoadResult[] = [];
    const soloCoord: LoadResult[] = [];
    for (let round = 0; round < o.rounds; round++) {
      soloBase.push(await runConsumers(baseTarget, 1, soloSeconds / o.rounds));
      soloCoord.push(await runConsumers(target, 1, soloSeconds / o.rounds));
    }
    const sc = merge(soloCoord);
    const sb = merge(soloBase);
    const { usage: loaded } = await coordinator.memory();
    const c = merge(coordRuns);
    const b = merge(baseRuns);
    if (c.completed === 0 || b.completed === 0) throw new Error(`no request completed (coordinator: ${c.firstFailure}; baseline: ${b.firstFailure})`);
    const cRate = c.completed / c.seconds;
    const bRate = b.completed / b.seconds;
    const row = (label: string, cv: readonly number[], bv: readonly number[]): [string, string] => [
      `${label}, p50 / p99 ms`,
      `${fmt(p(cv, 50))} / ${fmt(p(cv, 99))} (baseline ${fmt(p(bv, 50))} / ${fmt(p(bv, 99))}; added ${fmt(p(cv, 50) - p(bv, 50))} / ${fmt(p(cv, 99) - p(bv, 99))})`,
    ];
    printTable(
      `coordinator under load — ${connected} simulated nodes, ${o.consumers} plain-fetch streaming consumers, ${TOKENS.length} tokens per answer, ${o.seconds} s per side in ${o.rounds} rounds, ${o.postgres ? "PostgreSQL" : "in-memory PGlite"}`,
      [
        [`node logins (${LOGIN_CONCURRENCY} at a time): connected / failed, logins/s`, `${connected} / ${login.failed}, ${fmt(o.nodes / login.seconds, 0)}${login.firstFailure ? ` (first failure: ${login.firstFailure})` : ""}`],
        [`coordinator RSS per idle node, KiB (target ≤ ${TARGET_KIB_PER_NODE})`, `${fmt(per("rss"), 1)} (${fmt(before.rss / KIB / KIB, 1)} → ${fmt(after.rss / KIB / KIB, 1)} MiB)`],
        ["coordinator heap used per idle node, KiB (after full GC)", `${fmt(per("heapUsed"), 1)} (${fmt(before.heapUsed / KIB / KIB, 1)} → ${fmt(after.heapUsed / KIB / KIB, 1)} MiB; external ${fmt(per("external"), 1)} KiB per node)`],
        [`streamed requests/s through the coordinator (target ≥ ${TARGET_REQUESTS_PER_SECOND})`, `${fmt(cRate, 0)} (baseline server ${fmt(bRate, 0)}, ratio ${fmt(cRate / bRate, 3)})`],
        ["requests completed / failed (coordinator; baseline)", `${c.completed} / ${c.failed}; ${b.completed} / ${b.failed}${c.firstFailure ? ` (first failure: ${c.firstFailure})` : ""}`],
        row("time to first byte", c.ttfbMs, b.ttfbMs),
        row("total time per request", c.totalMs, b.totalMs),
        row(`after the first byte, per further token (${TOKENS.length - 1}; includes the end of the answer)`, perToken(c), perToken(b)),
        [
          "coordinator CPU per streamed request, ms (user + system; share of one core during the load)",
          `${fmt(coordCpuUs / 1000 / c.completed)} (${fmt((coordCpuUs / 1e6 / c.seconds) * 100, 0)} %)`,
        ],
        [
          "consumers + simulated nodes CPU per request, ms (this process; they share the machine's cores with the coordinator)",
          fmt(harnessCpuUs / 1000 / c.completed),
        ],
        [
          `requests/s this ${availableParallelism()}-core machine could carry if the coordinator cost nothing (cores / that CPU)`,
          fmt((availableParallelism() * 1000) / (harnessCpuUs / 1000 / c.completed), 0),
        ],
        [
          "requests/s the coordinator's own CPU allows on one core (1 s / its CPU per request)",
          fmt(1_000_000 / (coordCpuUs / c.completed), 0),
        ],
        ["total time ratio coordinator / baseline (p50)", fmt(p(c.totalMs, 50) / p(b.totalMs, 50), 2)],
        [`one consumer at a time: requests (coordinator / baseline)`, `${sc.completed} / ${sb.completed}`],
        row("one consumer at a time: time to first byte (target: ≤ 2 ms p50 added)", sc.ttfbMs, sb.ttfbMs),
        row("one consumer at a time: total time per request", sc.totalMs, sb.totalMs),
        ["coordinator RSS / heap after the load, MiB", `${fmt(loaded.rss / KIB / KIB, 1)} / ${fmt(loaded.heapUsed / KIB / KIB, 1)}`],
      ],
    );
  } finally {
    await Promise.all(nodes.map((n) => n.close()));
    await Promise.all(servers.map((s) => s.stop()));
    await postgres?.stop();
  }
}

/** The options from BENCH_LOAD_NODES, _CONSUMERS, _SECONDS and _ROUNDS (default 1000, 64, 10, 2) and BENCH_LOAD_POSTGRES=1. */
export function coordinatorLoadOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): CoordinatorLoadOptions {
  const positive = (name: string, fallback: number) => {
    const value = Number(env[name] ?? fallback);
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${env[name]}`);
    return value;
  };
  return {
    nodes: positive("BENCH_LOAD_NODES", 1_000),
    consumers: positive("BENCH_LOAD_CONSUMERS", 64),
    seconds: positive("BENCH_LOAD_SECONDS", 10),
    rounds: positive("BENCH_LOAD_ROUNDS", 2),
    postgres: env.BENCH_LOAD_POSTGRES === "1",
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await benchCoordinatorLoad(coordinatorLoadOptionsFromEnv());
}
