/**
 * A small chaos run on a real PostgreSQL (coordinator/test-support/chaos-run.ts; the bench
 * bench/chaos.ts prints the figures of a bigger one): nodes killed mid-answer, the coordinator
 * SIGKILLed and restarted on the same port and database, every database connection terminated.
 * Afterwards the ledger's invariants hold, nothing is credited twice, and every request either
 * completed or got a clean error (or was cut while the coordinator process was dead).
 */
import { describe, expect, it } from "vitest";
import { postgresSkipReason } from "../tests/support/postgres";
import { runChaos } from "./test-support/chaos-run";

const skip = postgresSkipReason();

describe.skipIf(skip !== null)(`coordinator under faults${skip ? ` (skipped: ${skip})` : ""}`, () => {
  it("keeps the books and answers every request completely or cleanly", async () => {
    const report = await runChaos({
      nodes: 4,
      consumers: 4,
      seconds: 8,
      tokens: 12,
      tokenIntervalMs: 15,
      nodeKills: 2,
      coordinatorRestarts: 1,
      dbDrops: 1,
      requestBoundMs: 20_000,
    });
    expect(report.invariants.filter((i) => !i.ok)).toEqual([]);
    expect(report.requests.filter((r) => r.outcome === "bad")).toEqual([]);
    expect(report.unexpectedCoordinatorExits).toEqual([]);
    expect(report.faults).toMatchObject({ nodeKills: 2, coordinatorRestarts: 1, dbDrops: 1 });
    expect(report.faults.dbConnectionsTerminated).toBeGreaterThan(0);
    // The run did real work around the faults, and the killed coordinator's open jobs were closed.
    expect(report.outcomes.completed).toBeGreaterThan(0);
    expect(report.jobs.running ?? 0).toBe(0);
    expect(report.jobs.settled ?? 0).toBeGreaterThan(0);
  }, 90_000);
});
