/**
 * Reputation: what the network has seen of each node — verification results (known-answer
 * probes, re-runs, refused receipts), reliability (answers finished versus broken off) and
 * speed — as one number in 0…1 that routing weighs. A node whose results fall below the bar is
 * quarantined: no more jobs, its pending earnings held, the reason sent to it.
 */
import type { Logger } from "../shared/logger";
import { toSafeInteger, type Database } from "./db";
import { GroupCommit } from "./group-commit";
import type { NodeRecord } from "./node-hub";

/** Weights of the parts of reputation (they add up to 1). */
export const REPUTATION_WEIGHTS = { correctness: 0.6, reliability: 0.25, speed: 0.15 } as const;
/** A failed check weighs this many passed ones. */
export const FAILURE_WEIGHT = 4;
/** Correctness below this quarantines the node. */
export const QUARANTINE_BAR = 0.5;
/** Weight of the newest decode rate in a node's moving average. */
const SPEED_SMOOTHING = 0.3;
/** The network's typical speed (a node's speed is scored against it) is refreshed at most this often. */
const MEDIAN_REFRESH_MS = 1_000;

interface Counters {
  passed: number;
  failed: number;
  completed: number;
  broken: number;
  quarantine: { reason: string; since: Date } | null;
}

/** The parts of a node's reputation, each in 0…1. */
export interface ReputationParts {
  readonly correctness: number;
  readonly reliability: number;
  readonly speed: number;
}

/** Correctness from check results: (passed + 1) / (passed + 1 + FAILURE_WEIGHT × failed). */
export function correctnessOf(passed: number, failed: number): number {
  return (passed + 1) / (passed + 1 + FAILURE_WEIGHT * failed);
}

/** Answers finished against answers broken off, smoothed so a newcomer starts near 1. */
export function reliabilityOf(completed: number, broken: number): number {
  return (completed + 2) / (completed + broken + 2);
}

/** One number from the parts. */
export function reputationOf(parts: ReputationParts): number {
  return REPUTATION_WEIGHTS.correctness * parts.correctness + REPUTATION_WEIGHTS.reliability * parts.reliability + REPUTATION_WEIGHTS.speed * parts.speed;
}

const fresh = (): Counters => ({ passed: 0, failed: 0, completed: 0, broken: 0, quarantine: null });

/**
 * Who quarantined a node: verification (a failed check took it below the bar: it was caught
 * cheating) or the operator (a judgement call, which refunds nobody by itself).
 */
export type QuarantineCause = "verification" | "operator";

/** What happens when a node is quarantined or released (hold its earnings, tell it). */
export interface QuarantineHooks {
  onQuarantine(address: string, reason: string, cause: QuarantineCause): Promise<void>;
  onRelease(address: string): Promise<void>;
}

/** The reputation of every node this coordinator has heard of, cached and written through. */
export class Reputation {
  private readonly nodes = new Map<string, Counters>();
  private readonly speeds = new Map<string, number>();
  /**
   * Median of `speeds`: recomputed when a node's first speed arrives, otherwise at most once a
   * second (every job changes one speed; routing reads the median per node per job).
   */
  private medianSpeed: number | null = null;
  private medianAtMs = 0;
  /** Each node's routing record, kept while its counters, its speed and the median stand. */
  private readonly records = new Map<string, { record: NodeRecord; median: number }>();
  hooks: QuarantineHooks | null = null;
  /** Called after this coordinator quarantined or released a node (a cluster tells the other instances). */
  onQuarantineChange: ((address: string) => void) | null = null;
  /** Every job ends with one of these: the ones ending at the same moment are counted in one statement. */
  private readonly answers = new GroupCommit<{ address: string; finished: boolean }, Counters>((items) => this.countAnswers(items));

  private constructor(
    private readonly db: Database,
    private readonly clock: () => Date,
    private readonly logger: Logger,
  ) {}

  /** Loads every node's stored reputation. */
  static async load(db: Database, clock: () => Date, logger: Logger): Promise<Reputation> {
    const r = new Reputation(db, clock, logger);
    const { rows } = await db.query<Record<string, unknown>>(`SELECT * FROM node_reputation`);
    for (const row of rows) r.setCounters(String(row.address), r.countersOf(row));
    return r;
  }

  /** Refreshes one node from the database (another coordinator may have judged it). */
  async refresh(address: string): Promise<void> {
    const { rows } = await this.db.query<Record<string, unknown>>(`SELECT * FROM node_reputation WHERE address = $1`, [address.toLowerCase()]);
    if (rows[0]) this.setCounters(address.toLowerCase(), this.countersOf(rows[0]));
  }

  /**
   * Refreshes these nodes from the database; returns the addresses whose quarantine changed (a
   * cluster's other instances may have quarantined or released them).
   */
  async refreshMany(addresses: readonly string[]): Promise<string[]> {
    if (addresses.length === 0) return [];
    const wanted = [...new Set(addresses.map((a) => a.toLowerCase()))];
    const { rows } = await this.db.query<Record<string, unknown>>(`SELECT * FROM node_reputation WHERE address = ANY($1::text[])`, [wanted]);
    const changed: string[] = [];
    for (const row of rows) {
      const a = String(row.address);
      const before = this.nodes.get(a)?.quarantine ?? null;
      const after = this.countersOf(row);
      this.setCounters(a, after);
      if ((before === null) !== (after.quarantine === null)) changed.push(a);
    }
    return changed;
  }

  /** True when the node is quarantined, as far as this coordinator knows. */
  isQuarantined(address: string): boolean {
    return (this.nodes.get(address.toLowerCase())?.quarantine ?? null) !== null;
  }

  /** Addresses this coordinator knows as quarantined. */
  quarantinedAddresses(): string[] {
    return [...this.nodes].filter(([, c]) => c.quarantine !== null).map(([a]) => a);
  }

  /** The node's reputation, measured speed and quarantine, for routing. */
  record(address: string): NodeRecord {
    const median = this.typicalSpeed();
    // Routing passes addresses already lower-case: no new string per node per job.
    const kept = this.records.get(address);
    if (kept && kept.median === median) return kept.record;
    const a = address.toLowerCase();
    const c = this.nodes.get(a) ?? fresh();
    const record = { reputation: reputationOf(this.parts(a)), tokensPerSecond: this.speeds.get(a) ?? null, quarantine: c.quarantine };
    this.records.set(a, { record, median });
    return record;
  }

  private setCounters(address: string, counters: Counters): void {
    this.nodes.set(address, counters);
    this.records.delete(address);
  }

  /** The parts of a node's reputation. */
  parts(address: string): ReputationParts {
    const a = address.toLowerCase();
    const c = this.nodes.get(a) ?? fresh();
    const speed = this.speeds.get(a);
    const median = this.typicalSpeed();
    return {
      correctness: correctnessOf(c.passed, c.failed),
      reliability: reliabilityOf(c.completed, c.broken),
      speed: speed === undefined || median <= 0 ? 0.5 : Math.min(1, speed / median),
    };
  }

  private typicalSpeed(): number {
    if (this.medianSpeed === null) {
      const known = Float64Array.from(this.speeds.values()).sort();
      this.medianSpeed = known.length > 0 ? (known[Math.floor(known.length / 2)] as number) : 0;
      // Real time, not the injected clock: this limits work, it dates nothing.
      this.medianAtMs = performance.now();
    }
    return this.medianSpeed;
  }

  /** Counts behind a node's reputation. */
  counters(address: string): Readonly<Counters> {
    return { ...(this.nodes.get(address.toLowerCase()) ?? fresh()) };
  }

  /** A node decoded `tokens` tokens in `seconds`. */
  recordDecode(address: string, tokens: number, seconds: number): void {
    if (!(tokens > 0 && seconds > 0)) return;
    const a = address.toLowerCase();
    const sample = tokens / seconds;
    const old = this.speeds.get(a);
    this.speeds.set(a, old === undefined ? sample : old + SPEED_SMOOTHING * (sample - old));
    this.records.delete(a);
    // A node's first speed moves the median at once; later ones at most once a second.
    if (old === undefined || performance.now() - this.medianAtMs >= MEDIAN_REFRESH_MS) this.medianSpeed = null;
  }

  /** An answer on the node finished (true) or broke off after it started (false). */
  async recordAnswer(address: string, finished: boolean): Promise<void> {
    await this.answers.submit({ address: address.toLowerCase(), finished });
  }

  /**
   * A verification check of the node passed or failed; a failure that takes the node below the
   * bar quarantines it. Returns whether the node is quarantined now.
   */
  async recordCheck(address: string, passed: boolean, reason: string): Promise<boolean> {
    const c = await this.bump(address, passed ? "checks_passed" : "checks_failed");
    if (passed || c.quarantine || correctnessOf(c.passed, c.failed) >= QUARANTINE_BAR) return c.quarantine !== null;
    await this.quarantine(address, reason, "verification");
    return true;
  }

  /** Quarantines a node (idempotent): no more jobs, earnings held, the node told why. */
  async quarantine(address: string, reason: string, cause: QuarantineCause = "operator"): Promise<void> {
    const a = address.toLowerCase();
    const at = this.clock();
    const why = reason.slice(0, 480);
    await this.db.query(
      `INSERT INTO node_reputation (address, quarantined_at, quarantine_reason, updated_at) VALUES ($1, $2, $3, $2)
       ON CONFLICT (address) DO UPDATE SET quarantined_at = COALESCE(node_reputation.quarantined_at, EXCLUDED.quarantined_at),
         quarantine_reason = COALESCE(node_reputation.quarantine_reason, EXCLUDED.quarantine_reason), updated_at = EXCLUDED.updated_at`,
      [a, at.toISOString(), why],
    );
    await this.refresh(a);
    this.logger.warn("node quarantined", { address: a, reason: why });
    this.onQuarantineChange?.(a);
    await this.hooks?.onQuarantine(a, this.nodes.get(a)?.quarantine?.reason ?? why, cause);
  }

  /** Lifts a quarantine and forgives the failed checks; false when the node was not quarantined. */
  async release(address: string): Promise<boolean> {
    const a = address.toLowerCase();
    const { rows } = await this.db.query(
      `UPDATE node_reputation SET quarantined_at = NULL, quarantine_reason = NULL, checks_failed = 0, updated_at = $2
       WHERE address = $1 AND quarantined_at IS NOT NULL RETURNING address`,
      [a, this.clock().toISOString()],
    );
    if (rows.length === 0) return false;
    await this.refresh(a);
    this.logger.info("node released from quarantine", { address: a });
    this.onQuarantineChange?.(a);
    await this.hooks?.onRelease(a);
    return true;
  }

  private async bump(address: string, column: "checks_passed" | "checks_failed" | "jobs_completed" | "jobs_broken"): Promise<Counters> {
    const a = address.toLowerCase();
    const { rows } = await this.db.query<Record<string, unknown>>(
      `INSERT INTO node_reputation (address, ${column}, updated_at) VALUES ($1, 1, $2)
       ON CONFLICT (address) DO UPDATE SET ${column} = node_reputation.${column} + 1, updated_at = EXCLUDED.updated_at RETURNING *`,
      [a, this.clock().toISOString()],
    );
    const c = rows[0] ? this.countersOf(rows[0]) : fresh();
    this.setCounters(a, c);
    return c;
  }

  private async countAnswers(items: readonly { address: string; finished: boolean }[]): Promise<Counters[]> {
    const counts = new Map<string, { completed: number; broken: number }>();
    for (const { address, finished } of items) {
      const c = counts.get(address) ?? { completed: 0, broken: 0 };
      if (finished) c.completed++;
      else c.broken++;
      counts.set(address, c);
    }
    // Address order: two instances counting for the same nodes lock their rows in one order.
    const addresses = [...counts.keys()].sort();
    const { rows } = await this.db.query<Record<string, unknown>>(
      `INSERT INTO node_reputation (address, jobs_completed, jobs_broken, updated_at)
       SELECT a, c, b, $4 FROM unnest($1::text[], $2::bigint[], $3::bigint[]) WITH ORDINALITY AS v(a, c, b, n) ORDER BY n
       ON CONFLICT (address) DO UPDATE SET jobs_completed = node_reputation.jobs_completed + EXCLUDED.jobs_completed,
         jobs_broken = node_reputation.jobs_broken + EXCLUDED.jobs_broken, updated_at = EXCLUDED.updated_at
       RETURNING *`,
      [addresses, addresses.map((a) => counts.get(a)?.completed ?? 0), addresses.map((a) => counts.get(a)?.broken ?? 0), this.clock().toISOString()],
    );
    for (const row of rows) this.setCounters(String(row.address), this.countersOf(row));
    return items.map(({ address }) => this.nodes.get(address) ?? fresh());
  }

  private countersOf(row: Record<string, unknown>): Counters {
    const since = row.quarantined_at;
    return {
      passed: toSafeInteger(row.checks_passed),
      failed: toSafeInteger(row.checks_failed),
      completed: toSafeInteger(row.jobs_completed),
      broken: toSafeInteger(row.jobs_broken),
      quarantine: since ? { reason: String(row.quarantine_reason ?? "failed verification"), since: new Date(since as string | Date) } : null,
    };
  }
}
