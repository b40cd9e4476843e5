/**
 * Several coordinator instances behind one load balancer, on one PostgreSQL: the parts put
 * together. Each instance has an id, beats in the directory, publishes its nodes, and talks to
 * the others over PostgreSQL LISTEN/NOTIFY (cluster-bus.ts). A consumer request that lands on
 * one instance can run on a node connected to another (cluster-hub.ts). One instance at a time
 * leads the work the cluster must do once, the known-answer probes (cluster-leader.ts).
 */
import { randomBytes } from "node:crypto";
import type { Logger } from "../shared/logger";
import type { Database } from "./db";
import type { NodeHub } from "./node-hub";
import { ClusterBus } from "./cluster-bus";
import { ClusterDirectory } from "./cluster-directory";
import { ClusterHub } from "./cluster-hub";
import { LeaderLock } from "./cluster-leader";
import {
  clusterMessageSchema,
  instanceChannel,
  instanceIdSchema,
  NODES_CHANNEL,
  parsePayload,
  PROBE_JOBS_CHANNEL,
  REPUTATION_CHANNEL,
  type BroadcastChannel,
  type ClusterMessage,
} from "./cluster-wire";

/** Cluster settings of one instance. */
export interface ClusterOptions {
  /** This instance's id (default: random). Lowercase letters, digits and underscores. */
  readonly instanceId?: string;
  /** Interval of this instance's beat in the directory (default 2 s); it counts as gone after three missed. */
  readonly heartbeatMs?: number;
}

/** What an instance does with the cluster's news beyond routing (attached once it is built). */
export interface ClusterHandlers {
  /** This instance started (true) or stopped (false) leading the probes. */
  onLeadership?(leading: boolean): void;
  /** A payload on one of the broadcast channels (this instance's own included). */
  onBroadcast?(channel: BroadcastChannel, payload: string): Promise<void> | void;
  /** After each beat of this instance. */
  onBeat?(): Promise<void>;
}

/** A running cluster member. */
export interface ClusterMember {
  readonly instanceId: string;
  readonly hub: ClusterHub;
  /** True while this instance leads the probes (it holds the leader lock). */
  readonly leading: boolean;
  /** Sets the handlers (an instance already leading hears so at once). */
  attach(handlers: ClusterHandlers): void;
  /** Sends `payload` to every instance, this one included. Rejects when the bus is down. */
  broadcast(channel: BroadcastChannel, payload: string): Promise<void>;
  /** A local node may have changed (call on every capacity change of the local hub). */
  localChanged(): void;
  /** Leaves the directory and closes the bus. */
  close(): Promise<void>;
}

/** Joins the cluster of coordinators sharing `db` (a PostgreSQL database). */
export async function joinCluster(
  deps: { db: Database; localHub: NodeHub; url: string; logger: Logger; onCapacityChange(): void; quarantineOf?(address: string): string | null },
  opts: ClusterOptions,
): Promise<ClusterMember> {
  const { db, localHub, logger } = deps;
  const databaseUrl = db.postgresUrl;
  if (!databaseUrl) throw new RangeError("cluster mode needs a PostgreSQL database (postgres://…); PGlite serves one process only");
  const instanceId = opts.instanceId ?? randomBytes(6).toString("hex");
  const idCheck = instanceIdSchema.safeParse(instanceId);
  if (!idCheck.success) throw new RangeError(`instance id: ${idCheck.error.issues[0]?.message ?? "invalid"}`);
  const heartbeatMs = opts.heartbeatMs ?? 2_000;
  if (!Number.isSafeInteger(heartbeatMs) || heartbeatMs < 50) throw new RangeError("cluster heartbeatMs must be an integer of at least 50");

  // The bus delivers before the directory and hub exist only in theory (nothing is announced to
  // an instance that has not beaten yet); the guard keeps it safe anyway.
  let directory: ClusterDirectory | null = null;
  let hub: ClusterHub | null = null;
  let handlers: ClusterHandlers = {};
  const bus = await ClusterBus.start({
    url: databaseUrl,
    channels: [NODES_CHANNEL, REPUTATION_CHANNEL, PROBE_JOBS_CHANNEL, instanceChannel(instanceId)],
    logger,
    applicationName: `offpeak-bus-${instanceId}`,
    async onMessage(channel, payload) {
      if (channel === NODES_CHANNEL) return directory?.applyChange(payload);
      if (channel === REPUTATION_CHANNEL || channel === PROBE_JOBS_CHANNEL) return handlers.onBroadcast?.(channel, payload);
      const msg = parsePayload(clusterMessageSchema, payload);
      if (!msg) return logger.warn("ignored a malformed message from another instance", { bytes: payload.length });
      hub?.handle(msg);
    },
    async onReconnect() {
      // Messages sent either way while we were away are lost: jobs between instances fail over
      // at once, and the directory is read again and ours written again.
      hub?.busLost();
      directory?.republishAll();
      await directory?.reload();
    },
  });
  // Messages one instance sends leave one after another: the relay's tokens arrive in order.
  let outbox: Promise<unknown> = Promise.resolve();
  const send = (channel: string, payload: string): Promise<void> => {
    const sent = outbox.then(() => bus.publish(channel, payload));
    outbox = sent.catch(() => {});
    return sent;
  };
  directory = new ClusterDirectory({
    db,
    instanceId,
    url: deps.url,
    staleAfterMs: heartbeatMs * 3,
    logger,
    announce: (payload) => send(NODES_CHANNEL, payload),
    localNodes: () => localHub.candidates(),
    onChange: () => deps.onCapacityChange(),
    onInstanceGone: (id) => hub?.instanceGone(id),
  });
  const dir = directory;
  hub = new ClusterHub(localHub, dir, {
    instanceId,
    logger,
    publish: (instance, message: ClusterMessage) => send(instanceChannel(instance), JSON.stringify(message)),
    onLocalChange: () => dir.schedulePublish(),
    onCapacityChange: () => deps.onCapacityChange(),
    ...(deps.quarantineOf ? { quarantineOf: deps.quarantineOf } : {}),
  });
  try {
    await dir.beat();
  } catch (err) {
    await bus.close();
    throw err;
  }
  const lock = new LeaderLock({ url: databaseUrl, instanceId, intervalMs: heartbeatMs, logger, onChange: (leading) => handlers.onLeadership?.(leading) });
  await lock.tick();
  let beating: Promise<void> | null = null;
  const timer = setInterval(() => {
    if (beating) return;
    beating = dir
      .beat()
      .then(() => handlers.onBeat?.())
      .catch((err: unknown) => logger.error("cluster heartbeat failed", { error: String(err) }))
      .finally(() => {
        beating = null;
      });
  }, heartbeatMs);
  timer.unref();
  logger.info("joined the coordinator cluster", { instance: instanceId });

  let closing: Promise<void> | null = null;
  return {
    instanceId,
    hub,
    get leading() {
      return lock.leading;
    },
    attach(h) {
      handlers = h;
      if (lock.leading) h.onLeadership?.(true);
    },
    broadcast: (channel, payload) => send(channel, payload),
    localChanged: () => dir.schedulePublish(),
    close: () =>
      (closing ??= (async () => {
        clearInterval(timer);
        await lock.close();
        await beating;
        hub?.dropRelayed();
        await dir.leave().catch((err: unknown) => logger.warn("could not leave the cluster directory", { error: String(err) }));
        await outbox;
        await bus.close();
      })()),
  };
}
