/**
 * Cluster settings for a coordinator started from the command line, from the environment:
 * OFFPEAK_CLUSTER (1/true/yes: run as one of several instances on one PostgreSQL; default off),
 * OFFPEAK_INSTANCE_ID (this instance's id; default random) and OFFPEAK_CLUSTER_HEARTBEAT_MS
 * (its beat; default 2000, gone after three missed).
 */
import type { ClusterOptions } from "./cluster";
import { instanceIdSchema } from "./cluster-wire";
import { isPostgresUrl } from "./db";

const ON = new Set(["1", "true", "yes", "on"]);
const OFF = new Set(["", "0", "false", "no", "off"]);

/**
 * Reads the settings: undefined when cluster mode is off. Throws an Error naming the variable
 * and what it takes, and when cluster mode is asked for on a database other than PostgreSQL.
 */
export function clusterOptionsFromEnv(env: NodeJS.ProcessEnv, database: string | undefined): ClusterOptions | undefined {
  const flag = (env.OFFPEAK_CLUSTER ?? "").trim().toLowerCase();
  if (!ON.has(flag) && !OFF.has(flag)) throw new Error(`OFFPEAK_CLUSTER must be 1 or 0 (true/false, yes/no), got "${env.OFFPEAK_CLUSTER}"`);
  if (!ON.has(flag)) return undefined;
  if (!isPostgresUrl(database)) {
    throw new Error("OFFPEAK_CLUSTER needs --db postgres://…: the instances share one PostgreSQL database (PGlite serves one process only)");
  }
  const id = env.OFFPEAK_INSTANCE_ID?.trim();
  if (id && !instanceIdSchema.safeParse(id).success) throw new Error(`OFFPEAK_INSTANCE_ID must be 1-40 of a-z, 0-9 and _, got "${id}"`);
  const beat = env.OFFPEAK_CLUSTER_HEARTBEAT_MS?.trim();
  if (beat && (!/^\d{1,6}$/.test(beat) || Number(beat) < 50)) throw new Error(`OFFPEAK_CLUSTER_HEARTBEAT_MS must be a whole number of ms from 50 to 999999, got "${beat}"`);
  return { ...(id ? { instanceId: id } : {}), ...(beat ? { heartbeatMs: Number(beat) } : {}) };
}
