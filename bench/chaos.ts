/**
 * Benchmark: the coordinator under faults (coordinator/test-support/chaos-run.ts). Simulated
 * nodes on the real protocol and consumers (plain fetch and the official openai client) run for
 * a bounded time against a coordinator on a throwaway PostgreSQL, while nodes are killed
 * mid-answer, the coordinator is SIGKILLed and restarted on the same port and database, and the
 * database connections are terminated. Prints requests by outcome, the faults injected and the
 * ledger invariants; exits non-zero when an invariant fails, a request ended BAD (hang, reset
 * while the coordinator was up, garbled or wrong answer) or the coordinator died unasked.
 * `BENCH_CHAOS_NODES`, `_CONSUMERS`, `_SECONDS`, `_FAULTS` (each kind) size it (default 12, 16, 40, 3).
 * `node --import tsx bench/chaos.ts` runs it alone; `bench/run.ts` runs it with the rest.
 */
import { fileURLToPath } from "node:url";
import { resolve } from "node:path";
import { runChaos, type ChaosOptions, type ChaosReport } from "../coordinator/test-support/chaos-run";
import { printTable } from "./stats";

/** The options from the environment. */
export function chaosOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): ChaosOptions {
  const positive = (name: string, fallback: number) => {
    const value = Number(env[name] ?? fallback);
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${env[name]}`);
    return value;
  };
  const faults = positive("BENCH_CHAOS_FAULTS", 3);
  return {
    nodes: positive("BENCH_CHAOS_NODES", 12),
    consumers: positive("BENCH_CHAOS_CONSUMERS", 16),
    seconds: positive("BENCH_CHAOS_SECONDS", 40),
    tokens: 24,
    tokenIntervalMs: 20,
    nodeKills: faults * 2,
    coordinatorRestarts: faults,
    dbDrops: faults,
    requestBoundMs: 30_000,
    log: (line) => console.log(`  chaos: ${line}`),
  };
}

/** Problems that fail the bench (empty when the run was sound). */
export function chaosFailures(report: ChaosReport): string[] {
  const failures = report.invariants.filter((i) => !i.ok).map((i) => `invariant broken: ${i.rule} (${i.detail})`);
  if (report.outcomes.bad > 0) failures.push(`${report.outcomes.bad} BAD requests`);
  if (report.unexpectedCoordinatorExits.length > 0) failures.push(`coordinator died unasked: ${report.unexpectedCoordinatorExits.join(", ")}`);
  return failures;
}

/** Runs the chaos bench and prints its tables; returns the problems found. */
export async function benchChaos(o: ChaosOptions): Promise<string[]> {
  const r = await runChaos(o);
  const by = (client: "fetch" | "openai", outcome: string) => r.requests.filter((q) => q.client === client && q.outcome === outcome).length;
  const outcomeRow = (outcome: keyof ChaosReport["outcomes"], label: string): [string, string] => [
    label,
    `${r.outcomes[outcome]} (fetch ${by("fetch", outcome)}, openai ${by("openai", outcome)})`,
  ];
  const details = new Map<string, number>();
  for (const q of r.requests) if (q.outcome !== "completed") details.set(`${q.outcome}: ${q.detail}`, (details.get(`${q.outcome}: ${q.detail}`) ?? 0) + 1);
  printTable(
    `coordinator under faults — ${o.nodes} simulated nodes (${o.tokens} tokens at ${o.tokenIntervalMs} ms), ${o.consumers} consumers, ${r.seconds.toFixed(1)} s, PostgreSQL`,
    [
      ["requests", String(r.requests.length)],
      outcomeRow("completed", "completed (whole answer, finish reason, [DONE])"),
      outcomeRow("clean_error", "clean error (OpenAI error body, or SSE error event then end)"),
      outcomeRow("crash_cut", "cut by a coordinator SIGKILL (connection reset/refused while it was down)"),
      outcomeRow("bad", "BAD (hang, reset while up, truncated, garbled or wrong)"),
      ...[...details.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([d, n]): [string, string] => [`  ${d.slice(0, 100)}`, String(n)]),
    ],
  );
  printTable("faults injected", [
    ["simulated nodes killed (socket cut) / of them mid-answer", `${r.faults.nodeKills} / ${r.faults.nodeKillsMidStream}`],
    ["coordinator SIGKILLed and restarted on the same port and database", String(r.faults.coordinatorRestarts)],
    ["database drops (pg_terminate_backend of every coordinator connection) / connections ended", `${r.faults.dbDrops} / ${r.faults.dbConnectionsTerminated}`],
    ["node logins (first ones and reconnections)", String(r.nodeLogins)],
    ["coordinator exits nobody asked for", r.unexpectedCoordinatorExits.length ? r.unexpectedCoordinatorExits.join(", ") : "none"],
    ["jobs by status", Object.entries(r.jobs).map(([s, n]) => `${s} ${n}`).join(", ")],
  ]);
  printTable(
    "invariants after the run",
    r.invariants.map((i): [string, string] => [`${i.ok ? "ok  " : "FAIL"} ${i.rule}`, i.detail.slice(0, 200)]),
  );
  const failures = chaosFailures(r);
  console.log(failures.length === 0 ? "\n  chaos: every invariant held, no BAD request" : `\n  chaos: FAILED\n    ${failures.join("\n    ")}`);
  return failures;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const failures = await benchChaos(chaosOptionsFromEnv());
  process.exit(failures.length === 0 ? 0 : 1);
}
