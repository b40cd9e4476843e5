/**
 * Benchmark: the ledger's crediting, on PGlite and on PostgreSQL (a throwaway server the bench
 * starts). Jobs are reserved first; then their settlements (receipt recorded, consumer charged,
 * node credited pending, fee booked) run with N jobs completing at once. Printed: credits per
 * second sustained, the p50/p99 time a settlement adds to a job's end, and the same figures for
 * the baseline of the same run — an empty transaction on the same database — as ratios; then
 * the release of those credits once their window has passed.
 */
import { openDatabase, type Database } from "../coordinator/db";
import { Ledger } from "../coordinator/ledger";
import { auditBooks } from "../coordinator/test-support/ledger-books";
import { fundedConsumer, openJob, settle } from "../coordinator/test-support/ledger-jobs";
import { startThrowawayPostgres, postgresSkipReason } from "../tests/support/postgres";
import { median, printTable } from "./stats";

const NODES = 16;
const CONSUMERS = 8;
const FEE_BPS = 1_000;

/** The p-th percentile (0–100) of a non-empty list, nearest rank. */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

/** Runs `work(i)` for i in 0..count with `concurrency` at once; the time of each and the wall time. */
async function pool(count: number, concurrency: number, work: (i: number) => Promise<unknown>): Promise<{ latencies: number[]; seconds: number }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        const t0 = performance.now();
        await work(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { latencies, seconds: (performance.now() - started) / 1000 };
}

interface Measure {
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
}

const measure = (r: { latencies: number[]; seconds: number }): Measure => ({
  perSecond: r.latencies.length / r.seconds,
  p50: median(r.latencies),
  p99: percentile(r.latencies, 99),
});

/** Settles `jobs` jobs with `concurrency` completing at once, after reserving them. */
async function crediting(db: Database, ledger: Ledger, jobs: number, concurrency: number): Promise<Measure> {
  const consumers = await Promise.all(Array.from({ length: CONSUMERS }, () => fundedConsumer(db, 1_000_000_000_000)));
  const ids: string[] = [];
  for (let i = 0; i < jobs; i++) {
    const id = await openJob(ledger, consumers[i % CONSUMERS] as string, 5_000);
    if (!id) throw new Error("reservation refused");
    ids.push(id);
  }
  const node = (i: number) => `0x${(0xbe7c00 + (i % NODES)).toString(16).padStart(40, "0")}`;
  return measure(await pool(jobs, concurrency, (i) => settle(ledger, ids[i] as string, node(i), 1 + (i % 4_000), FEE_BPS)));
}

/** The baseline: an empty transaction (one round trip in, one out) on the same database. */
async function emptyTransactions(db: Database, count: number, concurrency: number): Promise<Measure> {
  return measure(await pool(count, concurrency, () => db.transaction((tx) => tx.query("SELECT 1"))));
}

async function benchOn(kind: string, target: string | undefined, jobs: number, concurrencies: readonly number[]): Promise<void> {
  let now = new Date();
  const db = await openDatabase(target);
  try {
    const ledger = new Ledger(db, () => now, { verificationWindowMs: 60_000 });
    // Warm-up: caches, prepared plans, the pool's connections.
    await crediting(db, ledger, 50, 8);
    const rows: [string, string][] = [];
    for (const c of concurrencies) {
      const base = await emptyTransactions(db, jobs, c);
      const credit = await crediting(db, ledger, jobs, c);
      rows.push(
        [`${c} at once: credits/s sustained`, `${credit.perSecond.toFixed(0)} (empty transactions/s ${base.perSecond.toFixed(0)}, ratio ${(credit.perSecond / base.perSecond).toFixed(3)})`],
        [`${c} at once: time crediting adds to a job's end, p50 / p99 ms`, `${credit.p50.toFixed(2)} / ${credit.p99.toFixed(2)} (empty transaction ${base.p50.toFixed(2)} / ${base.p99.toFixed(2)}; p50 ratio ${(credit.p50 / base.p50).toFixed(1)})`],
      );
    }
    now = new Date(now.getTime() + 120_000);
    const released = { credits: 0, seconds: 0 };
    const t0 = performance.now();
    for (let r = await ledger.releaseDueCredits(1_000); r.credits > 0; r = await ledger.releaseDueCredits(1_000)) released.credits += r.credits;
    released.seconds = (performance.now() - t0) / 1000;
    rows.push([`release after the verification window: credits/s (batches of 1000)`, (released.credits / released.seconds).toFixed(0)]);
    const problems = await auditBooks(db);
    rows.push(["books after the run (all invariants)", problems.length === 0 ? "sound" : problems.join("; ")]);
    printTable(`ledger crediting on ${kind} — ${jobs} jobs per level, ${NODES} nodes, ${CONSUMERS} consumers, fee ${FEE_BPS} bps`, rows);
  } finally {
    await db.close();
  }
}

/** Runs the crediting benchmark on PGlite and PostgreSQL with `jobs` settlements per concurrency level. */
export async function benchLedger(jobs: number): Promise<void> {
  const levels = [1, 8, 32];
  await benchOn("PGlite (in memory)", undefined, jobs, levels);
  const skip = postgresSkipReason();
  if (skip !== null) {
    console.log(`\nledger crediting on PostgreSQL: skipped (${skip})`);
    return;
  }
  const server = await startThrowawayPostgres({ database: "offpeak_bench" });
  try {
    await benchOn("PostgreSQL (throwaway server, fsync off)", server.url, jobs, levels);
  } finally {
    await server.stop();
  }
}
