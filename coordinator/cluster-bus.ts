/**
 * The coordinator instances' message bus: PostgreSQL LISTEN/NOTIFY on the database they already
 * share. One dedicated connection per instance both listens and notifies, so everything one
 * instance sends leaves in the order it was sent (a session's notifications are delivered in
 * commit order, and node-postgres runs one connection's queries one after another). Payloads
 * too big for a notification (PostgreSQL's limit is 8,000 bytes) travel as a row of
 * `cluster_messages` that the notification points to; the receiver deletes the row as it reads it.
 * When the connection drops, the bus reconnects with backoff, listens again and tells its owner,
 * who republishes what the others may have missed.
 */
import pg from "pg";
import type { Logger } from "../shared/logger";

/** Notification payloads above this many bytes go through a table row. */
export const MAX_INLINE_PAYLOAD_BYTES = 7_000;
/** Prefix of a payload that points to a `cluster_messages` row. */
const ROW_PREFIX = "row:";
const BACKOFF_FIRST_MS = 200;
const BACKOFF_MAX_MS = 5_000;

/** What the bus needs. */
export interface ClusterBusOptions {
  /** postgres:// URL of the shared database. */
  readonly url: string;
  /** Channels to listen on (plain lowercase identifiers). */
  readonly channels: readonly string[];
  readonly logger: Logger;
  /** The connection's name in pg_stat_activity (operators see which instance's bus it is). */
  readonly applicationName?: string;
  /** Called with each message, in the order they arrived, one at a time. */
  onMessage(channel: string, payload: string): Promise<void> | void;
  /** Called after a lost connection was made again (not after the first connect). */
  onReconnect?(): Promise<void> | void;
}

/** A channel name must be a plain identifier: it is written into LISTEN unquoted. */
export function assertChannel(channel: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) throw new RangeError(`bad channel name: ${channel}`);
}

/** One LISTEN/NOTIFY connection that reconnects on its own. */
export class ClusterBus {
  private client: pg.Client | null = null;
  private closed = false;
  private backoffMs = BACKOFF_FIRST_MS;
  private reconnectTimer: NodeJS.Timeout | undefined;
  /** Incoming messages are handled one after another, in arrival order. */
  private inbox: Promise<void> = Promise.resolve();

  private constructor(private readonly opts: ClusterBusOptions) {
    for (const c of opts.channels) assertChannel(c);
  }

  /** Connects and listens; rejects when the first connection cannot be made. */
  static async start(opts: ClusterBusOptions): Promise<ClusterBus> {
    const bus = new ClusterBus(opts);
    await bus.connect();
    return bus;
  }

  /** True while the connection is up. */
  get connected(): boolean {
    return this.client !== null;
  }

  /**
   * Sends `payload` on `channel`. Messages sent through one bus arrive in the order they were
   * sent. Rejects when the connection is down (the message is then lost: callers treat it so).
   */
  async publish(channel: string, payload: string): Promise<void> {
    assertChannel(channel);
    const client = this.client;
    if (!client) throw new Error("cluster bus is not connected");
    if (Buffer.byteLength(payload, "utf8") <= MAX_INLINE_PAYLOAD_BYTES && !payload.startsWith(ROW_PREFIX)) {
      await client.query("SELECT pg_notify($1, $2)", [channel, payload]);
      return;
    }
    // One statement, so the row and its notification commit together.
    await client.query(
      `WITH m AS (INSERT INTO cluster_messages (body) VALUES ($2) RETURNING id) SELECT pg_notify($1, '${ROW_PREFIX}' || m.id) FROM m`,
      [channel, payload],
    );
  }

  /** Stops listening and closes the connection. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => {});
    await this.inbox;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.opts.url, ...(this.opts.applicationName ? { application_name: this.opts.applicationName } : {}) });
    client.on("error", (err) => this.lost(client, err));
    client.on("end", () => this.lost(client, new Error("connection ended")));
    client.on("notification", (n) => this.received(client, n.channel, n.payload ?? ""));
    try {
      await client.connect();
      for (const c of this.opts.channels) await client.query(`LISTEN ${c}`);
    } catch (err) {
      client.removeAllListeners();
      client.on("error", () => {});
      await client.end().catch(() => {});
      throw err;
    }
    if (this.closed) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.backoffMs = BACKOFF_FIRST_MS;
  }

  private lost(client: pg.Client, err: Error): void {
    if (this.client !== client) return;
    this.client = null;
    client.removeAllListeners("notification");
    client.end().catch(() => {});
    if (this.closed) return;
    this.opts.logger.warn("cluster bus lost its database connection; reconnecting", { error: err.message });
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const delay = this.backoffMs;
    this.backoffMs = Math.min(BACKOFF_MAX_MS, this.backoffMs * 2);
    this.reconnectTimer = setTimeout(() => {
      void this.connect().then(
        () => {
          if (this.closed || !this.client) return;
          this.opts.logger.info("cluster bus reconnected");
          this.enqueue(async () => {
            await this.opts.onReconnect?.();
          });
        },
        (error: unknown) => {
          if (this.closed) return;
          this.opts.logger.warn("cluster bus could not reconnect yet", { error: String(error), retryInMs: this.backoffMs });
          this.scheduleReconnect();
        },
      );
    }, delay);
    this.reconnectTimer.unref();
  }

  private received(client: pg.Client, channel: string, payload: string): void {
    this.enqueue(async () => {
      let body: string | null = payload;
      if (payload.startsWith(ROW_PREFIX)) {
        const id = payload.slice(ROW_PREFIX.length);
        if (!/^\d+$/.test(id)) return;
        const { rows } = await client.query<{ body: string }>("DELETE FROM cluster_messages WHERE id = $1 RETURNING body", [id]);
        body = rows[0]?.body ?? null;
      }
      if (body !== null) await this.opts.onMessage(channel, body);
    });
  }

  private enqueue(task: () => Promise<void>): void {
    this.inbox = this.inbox.then(task).catch((err: unknown) => this.opts.logger.error("cluster message handling failed", { error: String(err) }));
  }
}
