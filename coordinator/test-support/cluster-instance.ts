/**
 * Test support: one coordinator instance of a cluster, in its own process (forked with
 * `--import tsx`). It opens the PostgreSQL database at OFFPEAK_TEST_DB, reads its cluster settings
 * the way the CLI does (OFFPEAK_CLUSTER, OFFPEAK_INSTANCE_ID, OFFPEAK_CLUSTER_HEARTBEAT_MS), and
 * runs with the harness's test price on 127.0.0.1 at any free port, verification off unless
 * OFFPEAK_TEST_VERIFICATION holds its options as JSON. Over IPC
 * it says `{ type: "ready", url, wsUrl, instanceId }` once it listens, and closes and exits on
 * `{ cmd: "stop" }`.
 */
import { startCoordinator } from "../coordinator";
import { openDatabase } from "../db";
import { clusterOptionsFromEnv } from "../cluster-config";
import { silentLogger } from "../../shared/logger";
import type { VerificationOptions } from "../verification";
import { HARNESS_LATENCY_TOLERANCE_MS, TEST_ADMIN_TOKEN, TEST_PRICE } from "./harness";

/** What the instance tells its parent. */
export type ClusterInstanceReply =
  | { readonly type: "ready"; readonly url: string; readonly wsUrl: string; readonly instanceId: string }
  | { readonly type: "failed"; readonly error: string };

async function main(): Promise<void> {
  const dbUrl = process.env.OFFPEAK_TEST_DB;
  if (!dbUrl) throw new Error("OFFPEAK_TEST_DB is not set");
  const cluster = clusterOptionsFromEnv(process.env, dbUrl);
  const db = await openDatabase(dbUrl);
  const coordinator = await startCoordinator({
    db,
    adminToken: TEST_ADMIN_TOKEN,
    defaultPrice: TEST_PRICE,
    verification: process.env.OFFPEAK_TEST_VERIFICATION ? (JSON.parse(process.env.OFFPEAK_TEST_VERIFICATION) as VerificationOptions) : false,
    latencyToleranceMs: HARNESS_LATENCY_TOLERANCE_MS,
    dispatchTimeoutMs: Number(process.env.OFFPEAK_TEST_DISPATCH_TIMEOUT_MS ?? 10_000),
    logger: silentLogger,
    cluster,
  });
  process.on("message", (m: { cmd?: string }) => {
    if (m.cmd !== "stop") return;
    void coordinator
      .close()
      .then(() => db.close())
      .finally(() => process.exit(0));
  });
  const reply: ClusterInstanceReply = { type: "ready", url: coordinator.url, wsUrl: coordinator.wsUrl, instanceId: coordinator.clusterInstanceId ?? "" };
  process.send?.(reply);
}

main().catch((err: unknown) => {
  const reply: ClusterInstanceReply = { type: "failed", error: err instanceof Error ? err.message : String(err) };
  process.send?.(reply, () => process.exit(1));
});
