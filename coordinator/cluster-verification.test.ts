/**
 * Verification in a cluster of two coordinator processes on one PostgreSQL: only the instance
 * holding the leader lock runs known-answer probes, to the nodes of both instances and for jobs
 * served by either; when it dies the other takes over with the answers it learned; and a node
 * quarantined by one instance gets no more jobs from the other (told at once, or found on a beat
 * when the notice is lost).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import OpenAI from "openai";
import { postgresSkipReason, startThrowawayPostgres, type ThrowawayPostgres } from "../tests/support/postgres";
import { openDatabase, type Database } from "./db";
import { createApiKey } from "./api-keys";
import { LEADER_APPLICATION_PREFIX, PROBE_LEADER_LOCK } from "./cluster-leader";
import { SimNode } from "./test-support/sim-node";
import { TEST_ADMIN_TOKEN, waitUntil } from "./test-support/harness";
import { startClusterInstance, stopClusterInstance, type ClusterInstance } from "./test-support/cluster-process";
import type { VerificationOptions } from "./verification";

const HONEST = ["Once", " upon", " a", " time", "."];
const MODEL = "p-model";
const HEARTBEAT_MS = 300;
/** Every served job makes its node due for a probe; no re-runs (they stay with the serving instance). */
const PROBE_EVERY_JOB: VerificationOptions = { probeRate: 1, newcomerProbeRate: 1, maxJobsBetweenProbes: 1_000, rerunRate: 0 };
const ENV = { OFFPEAK_CLUSTER_HEARTBEAT_MS: String(HEARTBEAT_MS), OFFPEAK_TEST_VERIFICATION: JSON.stringify(PROBE_EVERY_JOB) };

const skip = postgresSkipReason();

describe.skipIf(skip !== null)(`verification across two coordinator instances${skip ? ` (skipped: ${skip})` : ""}`, () => {
  let server: ThrowawayPostgres;
  let db: Database;
  const instances: ClusterInstance[] = [];
  let leader: ClusterInstance;
  let follower: ClusterInstance;
  let apiKey: string;
  const nodes: SimNode[] = [];

  const connect = async (at: ClusterInstance) => {
    const node = await SimNode.connect({ wsUrl: at.wsUrl, models: [MODEL], tokens: HONEST, promptTokens: 3, capacity: 2 });
    nodes.push(node);
    return node;
  };
  const clientOf = (at: ClusterInstance) => new OpenAI({ apiKey, baseURL: `${at.url}/v1`, maxRetries: 0, timeout: 30_000 });
  const serve = async (at: ClusterInstance, requests: number) => {
    const client = clientOf(at);
    for (let i = 0; i < requests; i++) await client.completions.create({ model: MODEL, prompt: `Story ${i}`, max_tokens: 16, temperature: 0 });
  };
  const admin = async <T>(at: ClusterInstance, path: string, init: RequestInit = {}): Promise<T> => {
    const res = await fetch(`${at.url}${path}`, { ...init, headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, "content-type": "application/json" } });
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  };
  const stateOn = async (at: ClusterInstance, node: SimNode) =>
    (await admin<{ nodes: { address: string; state: string }[] }>(at, "/admin/nodes")).nodes.find((n) => n.address === node.address.toLowerCase())?.state;
  /** Checks this instance concluded, from its own /metrics. */
  const checksRunBy = async (at: ClusterInstance): Promise<number> => {
    const res = await fetch(`${at.url}/metrics`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    const text = await res.text();
    return text
      .split("\n")
      .filter((l) => l.startsWith("offpeak_verification_checks_total{"))
      .reduce((sum, l) => sum + Number(l.split(" ").pop()), 0);
  };
  /** The instance whose connection holds the leader lock, seen from PostgreSQL. */
  const lockHolder = async (): Promise<string | null> => {
    const { rows } = await db.query<{ name: string }>(
      `SELECT a.application_name AS name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = $1 AND l.objsubid = 1`,
      [PROBE_LEADER_LOCK],
    );
    return rows[0]?.name.slice(LEADER_APPLICATION_PREFIX.length) ?? null;
  };
  const checksOf = async (node: SimNode) =>
    (await db.query<{ verdict: string }>(`SELECT verdict FROM verification_checks WHERE node_address = $1 ORDER BY id`, [node.address.toLowerCase()])).rows;

  beforeAll(async () => {
    server = await startThrowawayPostgres();
    db = await openDatabase(server.url);
    instances.push(...(await Promise.all([startClusterInstance(server.url, "ver_a", ENV), startClusterInstance(server.url, "ver_b", ENV)])));
    apiKey = (await createApiKey(db, 100_000_000, "cluster verification", new Date())).key;
    await waitUntil(async () => (await lockHolder()) !== null, 10_000, "an instance to take the leader lock");
    const holder = await lockHolder();
    leader = instances.find((i) => i.instanceId === holder) as ClusterInstance;
    follower = instances.find((i) => i.instanceId !== holder) as ClusterInstance;
    expect(leader).toBeDefined();
  }, 120_000);

  afterAll(async () => {
    for (const n of nodes) await n.close();
    for (const i of instances) await stopClusterInstance(i);
    await db?.close();
    await server?.stop();
  }, 60_000);

  it("runs probes on the leader only, to the nodes of both instances, for jobs the follower served", async () => {
    const onLeader = await connect(leader);
    const onFollower = await connect(follower);
    await waitUntil(async () => (await stateOn(follower, onLeader)) !== undefined && (await stateOn(follower, onFollower)) !== undefined, 10_000, "the follower to route to both nodes");

    // Consumers only ever call the follower, two at a time (so both nodes serve), until both nodes
    // were probed and agreed on an answer (a probe passes once the answer is learned).
    const probedBoth = async () => {
      const [l, f] = [await checksOf(onLeader), await checksOf(onFollower)];
      return l.length > 0 && f.length > 0 && [...l, ...f].some((c) => c.verdict === "pass");
    };
    for (let round = 0; round < 10 && !(await probedBoth()); round++) {
      await Promise.all([serve(follower, 1), serve(follower, 1)]);
      await new Promise((r) => setTimeout(r, 2 * HEARTBEAT_MS));
    }
    await waitUntil(probedBoth, 10_000, "probes of both nodes, one passed");

    const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM verification_checks`);
    expect(await checksRunBy(follower)).toBe(0);
    expect(await checksRunBy(leader)).toBeGreaterThanOrEqual(Number(rows[0]?.n));
    // Both honest nodes agree: nobody failed.
    expect([...(await checksOf(onLeader)), ...(await checksOf(onFollower))].every((c) => c.verdict !== "fail")).toBe(true);
  }, 60_000);

  it("stops routing to a node the other instance quarantined, whether told or not", async () => {
    const [onLeader, told] = nodes as [SimNode, SimNode];
    const untold = await connect(follower);
    await waitUntil(async () => (await stateOn(leader, untold)) !== undefined, 10_000, "the leader to route to the new node");

    // Quarantined by the operator on the leader: the follower, whose node it is, hears of it.
    await admin(leader, `/admin/nodes/${told.address}/quarantine`, { method: "POST", body: JSON.stringify({ reason: "cluster test" }) });
    await waitUntil(async () => (await stateOn(follower, told)) === "quarantined", 5_000, "the follower to see the quarantine");
    // Quarantined behind every instance's back (as when the notice is lost): found on a beat.
    await db.query(`INSERT INTO node_reputation (address, quarantined_at, quarantine_reason, updated_at) VALUES ($1, now(), 'written by hand', now())
      ON CONFLICT (address) DO UPDATE SET quarantined_at = now(), quarantine_reason = 'written by hand'`, [untold.address.toLowerCase()]);
    await waitUntil(
      async () => (await stateOn(follower, untold)) === "quarantined" && (await stateOn(leader, untold)) === "quarantined",
      10 * HEARTBEAT_MS + 5_000,
      "both instances to see the quarantine written by hand",
    );
    await new Promise((r) => setTimeout(r, 300)); // let a probe sent before the quarantine finish
    const before = { told: told.jobIds.length, untold: untold.jobIds.length, healthy: onLeader.jobIds.length };

    await serve(follower, 4);
    await serve(leader, 4);
    expect(told.jobIds).toHaveLength(before.told);
    expect(untold.jobIds).toHaveLength(before.untold);
    expect(onLeader.jobIds.length).toBeGreaterThanOrEqual(before.healthy + 8);
  }, 60_000);

  it("hands the probes to the other instance when the leader dies, with the answers learned", async () => {
    const passedBefore = await checksRunBy(follower);
    expect(passedBefore).toBe(0);
    await stopClusterInstance(leader, "SIGKILL");
    await waitUntil(async () => (await lockHolder()) === follower.instanceId, 10_000, "the follower to take the leader lock");

    const newcomer = await connect(follower);
    await serve(follower, 3);
    await waitUntil(async () => (await checksOf(newcomer)).length > 0, 15_000, "a probe of the newcomer by the new leader");
    expect(await checksRunBy(follower)).toBeGreaterThan(0);
    // Its first probe was judged at once: the new leader knew the answers the old one learned.
    expect((await checksOf(newcomer))[0]?.verdict).toBe("pass");
  }, 60_000);
});
