/**
 * The cluster's parts on a real PostgreSQL: the LISTEN/NOTIFY bus (order, payloads too big for a
 * notification, bad payloads, a lost connection), the node directory (publishing, a dead
 * instance's nodes dropped), and the relay on the owning instance (a job run for another instance,
 * a refusal when the node has no free slot, bad messages ignored).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeCoordinatorMessage } from "../shared/protocol";
import { silentLogger } from "../shared/logger";
import { postgresSkipReason, startThrowawayPostgres, type ThrowawayPostgres } from "../tests/support/postgres";
import { openDatabase, toSafeInteger, type Database } from "./db";
import { ClusterBus, MAX_INLINE_PAYLOAD_BYTES } from "./cluster-bus";
import { ClusterDirectory } from "./cluster-directory";
import { clusterMessageSchema, instanceChannel, NODES_CHANNEL, parsePayload, type ClusterMessage } from "./cluster-wire";
import { startCoordinator } from "./coordinator";
import type { HubNode } from "./node-hub";
import { SimNode } from "./test-support/sim-node";
import { TEST_ADMIN_TOKEN, TEST_PRICE, waitUntil } from "./test-support/harness";

const skip = postgresSkipReason();

function hubNode(id: string, inFlight = 0): HubNode {
  return {
    id,
    address: `0x${id.padStart(40, "0")}`,
    agent: "test",
    backend: "cpu",
    statusReason: "Sharing",
    sharing: true,
    models: [{ id: "m1" }],
    capacity: 2,
    inFlight,
    lastIdleAtMs: 0,
    memoryBytes: 1_000,
    tokensPerSecond: null,
    rttMs: 3,
    reputation: 0.5,
    quarantined: false,
    quarantineReason: null,
  };
}

describe.skipIf(skip !== null)(`cluster parts on PostgreSQL${skip ? ` (skipped: ${skip})` : ""}`, () => {
  let server: ThrowawayPostgres;
  let db: Database;
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    server = await startThrowawayPostgres();
    db = await openDatabase(server.url);
  }, 60_000);

  afterAll(async () => {
    for (const close of closers.reverse()) await close();
    await db?.close();
    await server?.stop();
  });

  async function bus(channels: string[], onMessage: (channel: string, payload: string) => void, onReconnect?: () => void): Promise<ClusterBus> {
    const b = await ClusterBus.start({ url: server.url, channels, logger: silentLogger, onMessage, onReconnect });
    closers.push(() => b.close());
    return b;
  }

  it("delivers small and too-big-for-NOTIFY messages in the order they were sent, and deletes the big ones' rows", async () => {
    const got: string[] = [];
    await bus(["offpeak_t_order"], (_c, p) => void got.push(p));
    const sender = await bus(["offpeak_t_unused"], () => {});
    const big = "x".repeat(MAX_INLINE_PAYLOAD_BYTES * 3);
    const sent = ["one", big, "three", `${big}y`, "five"];
    await Promise.all(sent.map((p) => sender.publish("offpeak_t_order", p)));
    await waitUntil(() => got.length === sent.length, 5_000, "five messages");
    expect(got).toEqual(sent);
    expect((await db.query(`SELECT id FROM cluster_messages`)).rows).toEqual([]);
  });

  it("ignores a notification pointing to a row that does not exist, and goes on", async () => {
    const got: string[] = [];
    await bus(["offpeak_t_bad"], (_c, p) => void got.push(p));
    await db.query(`SELECT pg_notify('offpeak_t_bad', 'row:999999'), pg_notify('offpeak_t_bad', 'row:not-a-number')`);
    await db.query(`SELECT pg_notify('offpeak_t_bad', 'after')`);
    await waitUntil(() => got.length > 0, 5_000, "the next message");
    expect(got).toEqual(["after"]);
  });

  it("refuses a channel name that is not a plain identifier", async () => {
    const b = await bus(["offpeak_t_names"], () => {});
    await expect(b.publish("bad channel; DROP TABLE jobs", "x")).rejects.toThrow(/bad channel name/);
    await expect(ClusterBus.start({ url: server.url, channels: ["Bad-Name"], logger: silentLogger, onMessage: () => {} })).rejects.toThrow(/bad channel name/);
  });

  it("reconnects and listens again when its connection is killed", async () => {
    const got: string[] = [];
    let reconnects = 0;
    const b = await bus(["offpeak_t_reconnect"], (_c, p) => void got.push(p), () => void reconnects++);
    const killed = await db.query<{ n: unknown }>(
      `SELECT COUNT(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE query = 'LISTEN offpeak_t_reconnect'`,
    );
    expect(toSafeInteger(killed.rows[0]?.n)).toBe(1);
    await waitUntil(() => reconnects === 1 && b.connected, 10_000, "the bus to reconnect");
    await db.query(`SELECT pg_notify('offpeak_t_reconnect', 'back')`);
    await waitUntil(() => got.includes("back"), 5_000, "a message after the reconnect");
  });

  it("publishes an instance's nodes to another, and drops them when that instance stops beating", async () => {
    let localNodes = [hubNode("n1"), hubNode("n2")];
    const gone: string[] = [];
    let changes = 0;
    const staleAfterMs = 600;
    const first = new ClusterDirectory({
      db,
      instanceId: "dir_one",
      url: "http://one",
      staleAfterMs,
      logger: silentLogger,
      announce: (p) => announcer.publish(NODES_CHANNEL, p),
      localNodes: () => localNodes,
      onChange: () => {},
      onInstanceGone: () => {},
    });
    const second: ClusterDirectory = new ClusterDirectory({
      db,
      instanceId: "dir_two",
      url: "http://two",
      staleAfterMs,
      logger: silentLogger,
      announce: async () => {},
      localNodes: () => [],
      onChange: () => void changes++,
      onInstanceGone: (i) => void gone.push(i),
    });
    const announcer = await bus(["offpeak_t_dir_one"], () => {});
    await bus([NODES_CHANNEL], (_c, p) => void second.applyChange(p));
    await first.beat();
    await second.beat();
    expect(second.remoteNodes().map((r) => [r.instance, r.node.id]).sort()).toEqual([
      ["dir_one", "n1"],
      ["dir_one", "n2"],
    ]);
    // A change travels by announcement, without waiting for a beat: a node leaving at once, a
    // node's load within LOAD_PUBLISH_MS (coalesced, not a write per job).
    localNodes = [hubNode("n1", 1)];
    first.schedulePublish();
    await waitUntil(() => second.remoteNodes().length === 1, 5_000, "the node's departure to arrive");
    expect(second.remoteNodes()[0]?.node.inFlight).toBe(0);
    await waitUntil(() => second.remoteNodes()[0]?.node.inFlight === 1, 5_000, "the node's load to arrive");
    expect(second.ownerOf("n1")).toBe("dir_one");
    expect(changes).toBeGreaterThan(0);
    // A malformed row is ignored, not routed to.
    await db.query(`INSERT INTO cluster_nodes (node_id, instance_id, node, updated_at) VALUES ('bad', 'dir_one', '{"id":"bad"}', now())`);
    await second.reload();
    expect(second.remoteNodes().map((r) => r.node.id)).toEqual(["n1"]);
    // dir_one stops beating: once stale, its nodes are gone and their rows cleaned.
    await new Promise((r) => setTimeout(r, staleAfterMs + 200));
    await second.beat();
    expect(gone).toEqual(["dir_one"]);
    expect(second.remoteNodes()).toEqual([]);
    expect((await db.query(`SELECT node_id FROM cluster_nodes WHERE instance_id = 'dir_one'`)).rows).toEqual([]);
  });

  it("runs a job another instance routed here, refuses one the node has no slot for, and ignores bad messages", async () => {
    const coordinator = await startCoordinator({ db, adminToken: TEST_ADMIN_TOKEN, defaultPrice: TEST_PRICE, verification: false, cluster: { instanceId: "owner", heartbeatMs: 200 } });
    closers.push(() => coordinator.close());
    const node = await SimNode.connect({ wsUrl: coordinator.wsUrl, models: ["m1"], capacity: 1, tokens: ["a", "b", "c"], tokenIntervalMs: 50 });
    closers.push(() => node.close());
    const row = await waitUntilRow(db, node.address);
    const replies: ClusterMessage[] = [];
    const requester = await bus([instanceChannel("asker")], (_c, p) => {
      const m = parsePayload(clusterMessageSchema, p);
      if (m) replies.push(m);
    });
    const job = (jobId: string) => encodeCoordinatorMessage({ type: "job", jobId, model: "m1", input: { kind: "completion", prompt: "hi" }, sampling: { maxTokens: 8, temperature: 0, topP: 1, stop: [] } });
    const to = instanceChannel("owner");
    await requester.publish(to, "not json");
    await requester.publish(to, JSON.stringify({ k: "assign", from: "asker", nodeId: row, message: "{}" }));
    await requester.publish(to, JSON.stringify({ k: "assign", from: "asker", nodeId: row, message: job("job-1") }));
    await requester.publish(to, JSON.stringify({ k: "assign", from: "asker", nodeId: row, message: job("job-2") }));
    await requester.publish(to, JSON.stringify({ k: "assign", from: "asker", nodeId: "no-such-node", message: job("job-3") }));
    await waitUntil(() => replies.some((m) => m.k === "done"), 5_000, "the relayed job to finish");
    const byJob = (jobId: string) => replies.filter((m) => "jobId" in m && m.jobId === jobId).map((m) => m.k);
    expect(byJob("job-1")).toEqual(["tokens", "tokens", "tokens", "done"]);
    expect(replies.filter((m) => m.k === "tokens").map((m) => (m.k === "tokens" ? m.text : "")).join("")).toBe("abc");
    expect(replies.find((m) => "jobId" in m && m.jobId === "job-2")).toMatchObject({ k: "failed", code: "busy", retryable: true });
    expect(byJob("job-3")).toEqual(["disconnect"]);
    expect(node.jobIds).toEqual(["job-1"]);
  });

  it("refuses cluster mode on PGlite with a clear error", async () => {
    const lite = await openDatabase(undefined);
    try {
      await expect(startCoordinator({ db: lite, adminToken: TEST_ADMIN_TOKEN, verification: false, cluster: {} })).rejects.toThrow(/needs a PostgreSQL database/);
    } finally {
      await lite.close();
    }
  });
});

/** The node id under which the owner published the node with `address`. */
async function waitUntilRow(db: Database, address: string): Promise<string> {
  let id = "";
  await waitUntil(
    async () => {
      const { rows } = await db.query<{ node_id: string }>(`SELECT node_id FROM cluster_nodes WHERE node->>'address' = $1`, [address.toLowerCase()]);
      id = rows[0]?.node_id ?? "";
      return id !== "";
    },
    5_000,
    "the node in the directory",
  );
  return id;
}
