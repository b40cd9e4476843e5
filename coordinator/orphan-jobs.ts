/**
 * Jobs left running by a coordinator that died (killed, crashed, power lost): nobody will settle
 * them, so their reservations would hold the consumers' credit back for ever. They are closed as
 * `abandoned` and their reservations given back — nobody charged, nobody credited, like a job
 * whose consumer went away.
 *
 * Several coordinators may share one database, so a sweep only touches jobs created before a
 * cutoff: at start-up, the start itself when this coordinator is the database's only one, else
 * now minus `maxAgeMs`; on a timer, now minus `maxAgeMs`. A job closed here that was in fact still
 * running elsewhere stays consistent: its settlement finds it closed and moves nothing.
 */
import type { Logger } from "../shared/logger";
import { toSafeInteger, type Database } from "./db";

/** Jobs running longer than this are taken as left behind by a coordinator that died: 1 h. */
export const DEFAULT_ORPHAN_JOB_AGE_MS = 3_600_000;
/** Time between sweeps: 5 min. */
export const DEFAULT_ORPHAN_SWEEP_INTERVAL_MS = 300_000;
const BATCH = 500;
const MAX_BATCHES = 20;

/** What a sweep closed. */
export interface OrphanSweep {
  readonly jobs: number;
  readonly releasedMicroUsd: number;
}

/**
 * Closes up to `limit` running jobs created before `createdBefore` as abandoned and releases their
 * reservations, in one transaction. Rows another transaction holds (a settlement under way) are
 * skipped; a job is closed at most once, whoever gets there first.
 */
export async function releaseOrphanJobs(db: Database, createdBefore: Date, now: Date, limit = BATCH): Promise<OrphanSweep> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ account: string; reserved: unknown }>(
      `UPDATE jobs SET status = 'abandoned', detail = 'the coordinator running it stopped', finished_at = $3
       WHERE status = 'running' AND id IN (
         SELECT id FROM jobs WHERE status = 'running' AND created_at < $1 ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING consumer_account_id AS account, reserved_micro_usd AS reserved`,
      [createdBefore.toISOString(), limit, now.toISOString()],
    );
    const byAccount = new Map<string, number>();
    for (const r of rows) byAccount.set(r.account, (byAccount.get(r.account) ?? 0) + toSafeInteger(r.reserved));
    // One statement per account, in a fixed order, so concurrent sweeps lock balances alike.
    for (const account of [...byAccount.keys()].sort()) {
      await tx.query(`UPDATE balances SET reserved_micro_usd = reserved_micro_usd - $2 WHERE account_id = $1`, [account, byAccount.get(account)]);
    }
    return { jobs: rows.length, releasedMicroUsd: [...byAccount.values()].reduce((s, v) => s + v, 0) };
  });
}

/** When jobs count as left behind. */
export interface OrphanJobOptions {
  /** Age past which a running job is taken as orphaned (default 1 h). */
  readonly maxAgeMs?: number;
  /** Time between sweeps (default 5 min). */
  readonly intervalMs?: number;
  /**
   * This coordinator is the only one on its database (PGlite, or a single PostgreSQL instance):
   * every job running when it starts was left by its predecessor and is swept at once.
   */
  readonly soleInstance?: boolean;
}

/** A running sweeper. */
export interface OrphanSweeper {
  /** Sweeps jobs older than the age bound now; resolves with what it closed (zeros on a database error). */
  sweep(): Promise<OrphanSweep>;
  stop(): Promise<void>;
}

function checkedMs(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer of ms, got ${value}`);
  return value;
}

/**
 * Sweeps once at start (awaited: before the coordinator takes jobs) and then on a timer. A
 * database error is logged and retried at the next sweep; it never stops the coordinator.
 */
export async function startOrphanSweeper(db: Database, logger: Logger, clock: () => Date, options: OrphanJobOptions = {}): Promise<OrphanSweeper> {
  const maxAgeMs = checkedMs("orphan maxAgeMs", options.maxAgeMs ?? DEFAULT_ORPHAN_JOB_AGE_MS);
  const intervalMs = checkedMs("orphan intervalMs", options.intervalMs ?? DEFAULT_ORPHAN_SWEEP_INTERVAL_MS);
  let stopped = false;
  let running: Promise<OrphanSweep> | null = null;
  const run = (cutoff: Date): Promise<OrphanSweep> => {
    running ??= (async () => {
      let jobs = 0;
      let releasedMicroUsd = 0;
      try {
        for (let i = 0; i < MAX_BATCHES && !stopped; i++) {
          const r = await releaseOrphanJobs(db, cutoff, clock());
          jobs += r.jobs;
          releasedMicroUsd += r.releasedMicroUsd;
          if (r.jobs < BATCH) break;
        }
        if (jobs > 0) logger.warn("released the reservations of jobs left running by a stopped coordinator", { jobs, releasedMicroUsd });
      } catch (err) {
        logger.error("sweeping orphaned jobs failed; retrying at the next sweep", { error: String(err) });
      }
      return { jobs, releasedMicroUsd };
    })().finally(() => {
      running = null;
    });
    return running;
  };
  const startedAt = clock();
  await run(options.soleInstance ? startedAt : new Date(startedAt.getTime() - maxAgeMs));
  const timer = setInterval(() => void run(new Date(clock().getTime() - maxAgeMs)), Math.max(1, intervalMs));
  timer.unref();
  return {
    sweep: () => run(new Date(clock().getTime() - maxAgeMs)),
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
