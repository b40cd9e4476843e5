/**
 * Test and bench support: a chaos run. A throwaway PostgreSQL, a coordinator in a child process
 * on it, simulated nodes that reconnect, and consumers (plain fetch and the official openai
 * client) for a bounded time, while faults are injected on a schedule: nodes killed mid-answer,
 * the coordinator SIGKILLed and started again on the same port and database, every database
 * connection terminated. Afterwards every request is classified and the books are audited.
 */
import pg from "pg";
import { startThrowawayPostgres } from "../../tests/support/postgres";
import { openDatabase } from "../db";
import { LOAD_ADMIN_TOKEN } from "../../bench/load-server";
import { CoordinatorProcess } from "./coordinator-process";
import { ReconnectingNode } from "./reconnecting-node";
import { runChaosConsumers, type Outcome, type RequestRecord } from "./chaos-consumers";
import { auditChaosRun, jobsByStatus, type InvariantResult } from "./chaos-audit";

/** The size and schedule of a run. */
export interface ChaosOptions {
  readonly nodes: number;
  readonly consumers: number;
  readonly seconds: number;
  /** Tokens per answer, and the pace the nodes produce them at. */
  readonly tokens: number;
  readonly tokenIntervalMs: number;
  readonly nodeKills: number;
  readonly coordinatorRestarts: number;
  readonly dbDrops: number;
  /** A request open longer than this is a hang. */
  readonly requestBoundMs: number;
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void;
}

/** What a run found. */
export interface ChaosReport {
  readonly requests: readonly RequestRecord[];
  readonly outcomes: Record<Outcome, number>;
  readonly faults: { nodeKills: number; nodeKillsMidStream: number; coordinatorRestarts: number; dbDrops: number; dbConnectionsTerminated: number };
  readonly invariants: readonly InvariantResult[];
  readonly jobs: Record<string, number>;
  readonly unexpectedCoordinatorExits: readonly string[];
  readonly nodeLogins: number;
  readonly seconds: number;
}

const MODEL = "sim-model";
const CREDIT_MICRO_USD = 1_000_000_000_000;
const NODE_DOWN_MS = 400;
const COORDINATOR_DOWN_MS = 300;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function createKey(url: string): Promise<string> {
  const res = await fetch(`${url}/admin/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${LOAD_ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ creditMicroUsd: CREDIT_MICRO_USD, name: "chaos", ratePerMinute: 1_000_000 }),
    signal: AbortSignal.timeout(10_000),
  });
  if (res.status !== 201) throw new Error(`creating the consumer key: status ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { key: string }).key;
}

/** Fault kinds, interleaved so each kind is spread over the run. */
function schedule(o: ChaosOptions): ("node" | "coordinator" | "db")[] {
  const left = { node: o.nodeKills, coordinator: o.coordinatorRestarts, db: o.dbDrops };
  const out: ("node" | "coordinator" | "db")[] = [];
  while (left.node + left.coordinator + left.db > 0) {
    for (const k of ["node", "db", "coordinator"] as const) {
      if (left[k] > 0) {
        out.push(k);
        left[k]--;
      }
    }
  }
  return out;
}

/** Runs the chaos scenario and reports; it never leaves a process behind. */
export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const log = o.log ?? (() => {});
  const postgres = await startThrowawayPostgres({ database: "offpeak_chaos" });
  const coordinator = new CoordinatorProcess({ dbUrl: postgres.url, dispatchTimeoutMs: 3_000, maxQueueWaitMs: 5_000, heartbeatMs: 2_000 });
  const nodes: ReconnectingNode[] = [];
  const down: { from: number; to: number }[] = [];
  const faults = { nodeKills: 0, nodeKillsMidStream: 0, coordinatorRestarts: 0, dbDrops: 0, dbConnectionsTerminated: 0 };
  const admin = new pg.Client({ connectionString: postgres.url.replace(/\/offpeak_chaos$/, "/postgres") });
  admin.on("error", () => {});
  try {
    await coordinator.start();
    await admin.connect();
    const key = await createKey(coordinator.url);
    const tokens = Array.from({ length: o.tokens }, (_, i) => ` t${i}`);
    for (let i = 0; i < o.nodes; i++) {
      nodes.push(new ReconnectingNode({ wsUrl: coordinator.wsUrl, tokens, tokenIntervalMs: o.tokenIntervalMs, capacity: 2, promptTokens: 4 }));
    }
    await Promise.all(nodes.map((n) => n.start()));
    log(`${nodes.filter((n) => n.connected).length} of ${o.nodes} nodes logged in on ${coordinator.url}`);

    const started = Date.now();
    const end = started + o.seconds * 1000;
    const consumers = runChaosConsumers(
      {
        baseUrl: coordinator.url,
        apiKey: key,
        model: MODEL,
        expectedText: tokens.join(""),
        requestBoundMs: o.requestBoundMs,
        coordinatorDownDuring: (from, to) => down.some((w) => w.from <= to && w.to >= from),
      },
      o.consumers,
      () => Date.now() < end,
    );

    // Faults spread over the first 80 % of the run; the rest shows the recovery.
    const plan = schedule(o);
    for (const [i, kind] of plan.entries()) {
      const at = started + ((i + 0.5) / plan.length) * o.seconds * 800;
      await sleep(Math.max(0, at - Date.now()));
      if (kind === "node") {
        // Wait (bounded) for a node in the middle of an answer.
        let victim: ReconnectingNode | undefined;
        for (let t = 0; t < 50 && !victim; t++) {
          victim = nodes.find((n) => n.busy);
          if (!victim) await sleep(20);
        }
        const chosen = victim ?? nodes[i % nodes.length];
        if (!chosen) continue;
        if (victim) faults.nodeKillsMidStream++;
        chosen.kill(NODE_DOWN_MS);
        faults.nodeKills++;
        log(`killed a node${victim ? " mid-answer" : ""}`);
      } else if (kind === "coordinator") {
        const window = { from: Date.now(), to: Number.POSITIVE_INFINITY };
        down.push(window);
        await coordinator.kill();
        await sleep(COORDINATOR_DOWN_MS);
        await coordinator.start();
        window.to = Date.now();
        faults.coordinatorRestarts++;
        log(`coordinator SIGKILLed and back in ${window.to - window.from} ms`);
      } else {
        const { rows } = await admin.query(`SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = 'offpeak_chaos' AND pid <> pg_backend_pid()`);
        faults.dbDrops++;
        faults.dbConnectionsTerminated += rows.length;
        log(`terminated ${rows.length} database connections`);
      }
    }
    const requests = await consumers;
    const seconds = (Date.now() - started) / 1000;
    log(`${requests.length} requests in ${seconds.toFixed(1)} s; stopping`);
    const creditedJobIds = nodes.flatMap((n) => n.sessions.flatMap((s) => s.messages("credit").map((m) => m.jobId)));
    const nodeLogins = nodes.reduce((s, n) => s + n.logins, 0);
    await Promise.all(nodes.map((n) => n.stop()));
    await coordinator.stop();

    const db = await openDatabase(postgres.url);
    try {
      const outcomes: Record<Outcome, number> = { completed: 0, clean_error: 0, crash_cut: 0, bad: 0 };
      for (const r of requests) outcomes[r.outcome]++;
      return {
        requests,
        outcomes,
        faults,
        invariants: await auditChaosRun(db, creditedJobIds),
        jobs: await jobsByStatus(db),
        unexpectedCoordinatorExits: coordinator.unexpectedExits,
        nodeLogins,
        seconds,
      };
    } finally {
      await db.close();
    }
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
    await coordinator.stop();
    await admin.end().catch(() => {});
    await postgres.stop();
  }
}
