/**
 * Which coordinator instance of a cluster leads the work that must run once in the whole cluster
 * (the known-answer probes): the one holding a PostgreSQL session-level advisory lock, on a
 * connection of its own. The lock lives as long as that session, so when the leader dies or its
 * connection drops PostgreSQL frees it, and another instance takes it on its next try; every
 * instance tries once per beat, so a takeover comes within about one beat of the server noticing.
 * The connection's `application_name` names the instance, so an operator (and a test) can see
 * the leader in `pg_stat_activity` joined with `pg_locks`.
 */
import pg from "pg";
import type { Logger } from "../shared/logger";

/** The advisory lock key of the probe leader (any constant: the database holds one cluster). */
export const PROBE_LEADER_LOCK = 7_150_101;

/** Prefix of the leader connection's `application_name`, followed by the instance id. */
export const LEADER_APPLICATION_PREFIX = "offpeak_leader_";

/** What the lock needs. */
export interface LeaderLockOptions {
  /** postgres:// URL of the shared database. */
  readonly url: string;
  readonly instanceId: string;
  /** How often to try for the lock (and to check a held one is still held). */
  readonly intervalMs: number;
  readonly logger: Logger;
  /** Leadership was won (true) or lost (false). */
  onChange(leading: boolean): void;
}

/** Tries for the leader's lock on every beat, and holds it while its session lives. */
export class LeaderLock {
  private client: pg.Client | null = null;
  private leadingNow = false;
  private trying: Promise<void> | null = null;
  private closed = false;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly o: LeaderLockOptions) {
    this.timer = setInterval(() => void this.tick(), o.intervalMs);
    this.timer.unref();
  }

  /** True while this instance holds the lock. */
  get leading(): boolean {
    return this.leadingNow;
  }

  /**
   * One try: connects when there is no connection, asks for the lock when not leading, and checks
   * the session still answers when leading (a leader whose connection died must stop at once).
   */
  tick(): Promise<void> {
    this.trying ??= this.attempt().finally(() => {
      this.trying = null;
    });
    return this.trying;
  }

  /** Gives the lock up (another instance takes it on its next beat) and closes the connection. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.trying;
    const client = this.client;
    this.client = null;
    if (client && this.leadingNow) await client.query("SELECT pg_advisory_unlock($1)", [PROBE_LEADER_LOCK]).catch(() => {});
    this.set(false);
    await client?.end().catch(() => {});
  }

  private async attempt(): Promise<void> {
    if (this.closed) return;
    try {
      const client = this.client ?? (await this.connect());
      if (!client) return;
      if (this.leadingNow) {
        await client.query("SELECT 1");
        return;
      }
      const { rows } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1) AS locked", [PROBE_LEADER_LOCK]);
      if (rows[0]?.locked === true && this.client === client) this.set(true);
    } catch (err) {
      this.o.logger.warn("leader lock: database unreachable", { error: String(err) });
      this.drop(this.client);
    }
  }

  private async connect(): Promise<pg.Client | null> {
    // A bounded query: a leader whose server went silent must notice within a beat or two.
    const client = new pg.Client({
      connectionString: this.o.url,
      application_name: `${LEADER_APPLICATION_PREFIX}${this.o.instanceId}`,
      query_timeout: Math.max(1_000, this.o.intervalMs * 2),
      connectionTimeoutMillis: Math.max(1_000, this.o.intervalMs * 2),
      keepAlive: true,
    });
    client.on("error", () => this.drop(client));
    client.on("end", () => this.drop(client));
    try {
      await client.connect();
    } catch (err) {
      client.removeAllListeners();
      client.on("error", () => {});
      throw err;
    }
    if (this.closed) {
      await client.end().catch(() => {});
      return null;
    }
    this.client = client;
    return client;
  }

  private drop(client: pg.Client | null): void {
    if (!client || this.client !== client) return;
    this.client = null;
    client.end().catch(() => {});
    // The session is gone, and its lock with it: another instance may be leading already.
    this.set(false);
  }

  private set(leading: boolean): void {
    if (this.leadingNow === leading) return;
    this.leadingNow = leading;
    this.o.logger.info(leading ? "this instance now leads the cluster's probes" : "this instance no longer leads the cluster's probes", { instance: this.o.instanceId });
    this.o.onChange(leading);
  }
}
