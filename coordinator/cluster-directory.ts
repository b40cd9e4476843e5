/**
 * The cluster's node directory: which nodes are connected to which coordinator instance, and
 * each one's routing view. Every instance writes its own nodes to `cluster_nodes` and announces
 * each change on the nodes channel: at once when what a node serves changed (login, status,
 * quarantine, disconnect); when only its load or round trip moved (a job started or ended on it, a ping), within
 * LOAD_PUBLISH_MS, so a busy instance does not write a row and a notification per job. The
 * others keep a cache, updated on each announcement and reloaded in full on every heartbeat;
 * a remote node's load a moment old is safe, since the node's own instance refuses a job it has
 * no room for (`busy`, retried elsewhere).
 * Instances beat in `cluster_instances` (database time, so machines' clocks do not matter); the
 * nodes of an instance whose beat is stale are treated as gone, and its rows are cleaned away.
 */
import type { Logger } from "../shared/logger";
import type { Database } from "./db";
import type { HubNode } from "./node-hub";
import { hubNodeSchema, nodeChangeSchema, parsePayload } from "./cluster-wire";

/** A node connected to another instance. */
export interface RemoteNode {
  readonly instance: string;
  readonly node: HubNode;
}

/** What the directory needs. */
export interface ClusterDirectoryOptions {
  readonly db: Database;
  readonly instanceId: string;
  /** Where this instance is reached (for operators reading the table). */
  readonly url: string;
  /** An instance whose last beat is older than this is gone. */
  readonly staleAfterMs: number;
  readonly logger: Logger;
  /** Announces a change of one node to the other instances. */
  announce(payload: string): Promise<void>;
  /** This instance's own nodes, as routing sees them. */
  localNodes(): HubNode[];
  /** The other instances' nodes changed (a node may have room now). */
  onChange(): void;
  /** An instance stopped beating (or left): its nodes are gone. */
  onInstanceGone(instanceId: string): void;
}

/** A local node whose load or round trip alone changed is written within this long (coalesced). */
export const LOAD_PUBLISH_MS = 250;

/** A node's routing view without its load and round trip: what must reach the other instances at once. */
function servingKey(node: HubNode): string {
  const { inFlight: _inFlight, lastIdleAtMs: _idle, rttMs: _rtt, ...serving } = node;
  return JSON.stringify(serving);
}

/** Rows of messages nobody read (their reader died) are deleted after this long. */
const ORPHAN_MESSAGE_MS = 5 * 60_000;

/** This instance's view of the other instances' nodes, and the publisher of its own. */
export class ClusterDirectory {
  private remote = new Map<string, RemoteNode>();
  private live = new Set<string>();
  /** What the table holds for each local node, as last written: its snapshot, JSON and serving key. */
  private readonly published = new Map<string, { node: HubNode; json: string; serving: string }>();
  private publishing: Promise<void> | null = null;
  private publishAgain = false;
  /** The next write includes load-only changes. */
  private publishLoad = false;
  private loadTimer: NodeJS.Timeout | null = null;
  /** Announcements are applied one at a time, in order. */
  private changes: Promise<void> = Promise.resolve();
  private left = false;

  constructor(private readonly o: ClusterDirectoryOptions) {}

  /** The other instances' nodes. */
  remoteNodes(): RemoteNode[] {
    return [...this.remote.values()];
  }

  /** The instance a remote node is connected to. */
  ownerOf(nodeId: string): string | undefined {
    return this.remote.get(nodeId)?.instance;
  }

  /** Beats, republishes local nodes whose rows went missing, cleans up after dead instances, and reloads the cache. */
  async beat(): Promise<void> {
    if (this.left) return;
    const { db, instanceId } = this.o;
    await db.query(
      `INSERT INTO cluster_instances (instance_id, url, started_at, heartbeat_at) VALUES ($1, $2, now(), now())
       ON CONFLICT (instance_id) DO UPDATE SET heartbeat_at = now(), url = EXCLUDED.url`,
      [instanceId, this.o.url],
    );
    // Another instance may have taken us for dead (a long pause) and deleted our rows.
    await this.publishing?.catch(() => {});
    const mine = await db.query<{ n: string | number }>(`SELECT COUNT(*) AS n FROM cluster_nodes WHERE instance_id = $1`, [instanceId]);
    if (Number(mine.rows[0]?.n ?? 0) !== this.published.size) {
      // Rows and memory disagree (rows deleted by another instance, or left by an earlier run
      // under the same id): write them all again from what is connected now.
      await db.query(`DELETE FROM cluster_nodes WHERE instance_id = $1`, [instanceId]);
      this.published.clear();
    }
    await this.publish(true);
    await db.query(
      `DELETE FROM cluster_nodes WHERE instance_id NOT IN
         (SELECT instance_id FROM cluster_instances WHERE heartbeat_at > now() - $1 * interval '1 millisecond')`,
      [this.o.staleAfterMs],
    );
    await db.query(`DELETE FROM cluster_instances WHERE heartbeat_at < now() - $1 * interval '1 millisecond'`, [this.o.staleAfterMs * 10]);
    await db.query(`DELETE FROM cluster_messages WHERE created_at < now() - $1 * interval '1 millisecond'`, [ORPHAN_MESSAGE_MS]);
    await this.reload();
  }

  /** Writes local nodes whose view changed (coalesced: at most one write runs at a time). */
  schedulePublish(withLoad = false): void {
    if (this.left) return;
    if (this.publishing) {
      this.publishAgain = true;
      this.publishLoad ||= withLoad;
      return;
    }
    void this.publish(withLoad).catch((err: unknown) => this.o.logger.error("could not publish this instance's nodes", { error: String(err) }));
  }

  /** Forgets what was published, so the next publish writes every local node again (after a reconnect). */
  republishAll(): void {
    this.published.clear();
    this.schedulePublish();
  }

  /** Applies one announcement from the nodes channel. */
  applyChange(payload: string): Promise<void> {
    const change = parsePayload(nodeChangeSchema, payload);
    if (!change || change.instance === this.o.instanceId) return Promise.resolve();
    this.changes = this.changes
      .then(async () => {
        const { rows } = await this.o.db.query<{ instance_id: string; node: unknown }>(
          `SELECT n.instance_id, n.node FROM cluster_nodes n JOIN cluster_instances i ON i.instance_id = n.instance_id
           WHERE n.node_id = $1 AND i.heartbeat_at > now() - $2 * interval '1 millisecond'`,
          [change.node, this.o.staleAfterMs],
        );
        const row = rows[0];
        const node = row ? this.parseNode(row.node) : null;
        if (row && node && row.instance_id !== this.o.instanceId) {
          this.remote.set(node.id, { instance: row.instance_id, node });
          // Known live from now on, so its death is noticed even before the next full reload.
          this.live.add(row.instance_id);
        } else {
          this.remote.delete(change.node);
        }
        this.o.onChange();
      })
      .catch((err: unknown) => this.o.logger.error("could not apply a node change", { error: String(err) }));
    return this.changes;
  }

  /** Reloads every live instance's nodes; instances that stopped beating are reported gone. */
  async reload(): Promise<void> {
    const { db, instanceId, staleAfterMs } = this.o;
    const instances = await db.query<{ instance_id: string }>(
      `SELECT instance_id FROM cluster_instances WHERE heartbeat_at > now() - $1 * interval '1 millisecond' AND instance_id <> $2`,
      [staleAfterMs, instanceId],
    );
    const live = new Set(instances.rows.map((r) => r.instance_id));
    const { rows } = await db.query<{ instance_id: string; node: unknown }>(`SELECT instance_id, node FROM cluster_nodes WHERE instance_id <> $1`, [instanceId]);
    const remote = new Map<string, RemoteNode>();
    for (const row of rows) {
      const node = live.has(row.instance_id) ? this.parseNode(row.node) : null;
      if (node) remote.set(node.id, { instance: row.instance_id, node });
    }
    const gone = [...this.live].filter((i) => !live.has(i));
    this.live = live;
    this.remote = remote;
    for (const i of gone) {
      this.o.logger.warn("coordinator instance stopped beating; its nodes are gone", { instance: i });
      this.o.onInstanceGone(i);
    }
    this.o.onChange();
  }

  /** Removes this instance and its nodes from the directory (a clean shutdown). */
  async leave(): Promise<void> {
    this.left = true;
    if (this.loadTimer) clearTimeout(this.loadTimer);
    this.loadTimer = null;
    await this.publishing?.catch(() => {});
    const { rows } = await this.o.db.query<{ node_id: string }>(`DELETE FROM cluster_nodes WHERE instance_id = $1 RETURNING node_id`, [this.o.instanceId]);
    await this.o.db.query(`DELETE FROM cluster_instances WHERE instance_id = $1`, [this.o.instanceId]);
    for (const r of rows) await this.o.announce(JSON.stringify({ instance: this.o.instanceId, node: r.node_id })).catch(() => {});
  }

  private parseNode(value: unknown): HubNode | null {
    const parsed = hubNodeSchema.safeParse(typeof value === "string" ? JSON.parse(value) : value);
    if (!parsed.success) {
      this.o.logger.warn("ignored a malformed node row in the cluster directory", { error: parsed.error.issues[0]?.message });
      return null;
    }
    return parsed.data;
  }

  private publish(withLoad = false): Promise<void> {
    this.publishLoad ||= withLoad;
    if (this.publishing) {
      this.publishAgain = true;
      return this.publishing;
    }
    const run = async () => {
      do {
        this.publishAgain = false;
        const load = this.publishLoad;
        this.publishLoad = false;
        await this.writeLocal(load);
      } while (this.publishAgain && !this.left);
    };
    this.publishing = run().finally(() => {
      this.publishing = null;
    });
    return this.publishing;
  }

  /** Writes the local nodes that changed; a node whose load alone moved waits for a write `withLoad`. */
  private async writeLocal(withLoad: boolean): Promise<void> {
    const { db, instanceId } = this.o;
    const seen = new Set<string>();
    let loadWaits = false;
    for (const node of this.o.localNodes()) {
      seen.add(node.id);
      const before = this.published.get(node.id);
      // Routing keeps a node's snapshot while nothing in it changed: the same object, nothing to write.
      if (before?.node === node) continue;
      const json = JSON.stringify(node);
      if (before?.json === json) {
        this.published.set(node.id, { ...before, node });
        continue;
      }
      const serving = servingKey(node);
      if (!withLoad && before?.serving === serving) {
        loadWaits = true;
        continue;
      }
      await db.query(
        `INSERT INTO cluster_nodes (node_id, instance_id, node, updated_at) VALUES ($1, $2, $3::jsonb, now())
         ON CONFLICT (node_id) DO UPDATE SET instance_id = EXCLUDED.instance_id, node = EXCLUDED.node, updated_at = now()`,
        [node.id, instanceId, json],
      );
      this.published.set(node.id, { node, json, serving });
      await this.o.announce(JSON.stringify({ instance: instanceId, node: node.id }));
    }
    if (loadWaits && !this.loadTimer && !this.left) {
      this.loadTimer = setTimeout(() => {
        this.loadTimer = null;
        this.schedulePublish(true);
      }, LOAD_PUBLISH_MS);
      this.loadTimer.unref();
    }
    for (const id of [...this.published.keys()]) {
      if (seen.has(id)) continue;
      await db.query(`DELETE FROM cluster_nodes WHERE node_id = $1 AND instance_id = $2`, [id, instanceId]);
      this.published.delete(id);
      await this.o.announce(JSON.stringify({ instance: instanceId, node: id }));
    }
  }
}
