/**
 * Jobs left running by a coordinator that died: the next start gives their reservations back
 * (nobody charged, nobody credited, once), a job of a live instance younger than the age bound
 * is left alone, and a sweep racing a settlement closes the job one way only.
 */
import { afterEach, beforeEach, expect, it } from "vitest";
import { openDatabase, type Database } from "./db";
import { startCoordinator } from "./coordinator";
import { Ledger } from "./ledger";
import { releaseOrphanJobs } from "./orphan-jobs";
import { auditBooks } from "./test-support/ledger-books";
import { fundedConsumer, openJob, settle } from "./test-support/ledger-jobs";
import { TEST_ADMIN_TOKEN } from "./test-support/harness";
import { describeOnEachDatabase } from "../tests/support/database-suites";

const HOUR = 3_600_000;

describeOnEachDatabase("jobs left running by a stopped coordinator", (database) => {
  let db: Database;
  let now: Date;
  let ledger: Ledger;
  beforeEach(async () => {
    db = await openDatabase(database.target());
    now = new Date("2026-06-01T08:00:00Z");
    ledger = new Ledger(db, () => now);
  });
  afterEach(async () => {
    await db.close();
  });

  async function statusOf(jobId: string): Promise<string | undefined> {
    return (await db.query<{ status: string }>(`SELECT status FROM jobs WHERE id = $1`, [jobId])).rows[0]?.status;
  }

  it("gives the reservations back when the only coordinator starts again, and the late receipt moves nothing", async () => {
    const consumer = await fundedConsumer(db, 10_000, now);
    const left = [await openJob(ledger, consumer, 3_000), await openJob(ledger, consumer, 4_000)] as string[];
    expect(await ledger.balance(consumer)).toMatchObject({ reservedMicroUsd: 7_000, availableMicroUsd: 3_000 });

    now = new Date(now.getTime() + 1_000);
    const coordinator = await startCoordinator({ db, adminToken: TEST_ADMIN_TOKEN, clock: () => now, verification: false, orphanJobs: { soleInstance: true } });
    await coordinator.close();

    expect(await ledger.balance(consumer)).toEqual({ balanceMicroUsd: 10_000, reservedMicroUsd: 0, availableMicroUsd: 10_000 });
    for (const jobId of left) expect(await statusOf(jobId)).toBe("abandoned");
    // The node of the dead coordinator's job sends its receipt to someone: nothing is charged.
    expect((await settle(ledger, left[0] as string, "0x00000000000000000000000000000000000000aa", 2_000)).status).toBe("already_closed");
    expect(await ledger.balance(consumer)).toEqual({ balanceMicroUsd: 10_000, reservedMicroUsd: 0, availableMicroUsd: 10_000 });
    expect(await auditBooks(db)).toEqual([]);
  });

  it("with other instances on the database, sweeps only jobs older than the age bound", async () => {
    const consumer = await fundedConsumer(db, 10_000, now);
    const old = (await openJob(ledger, consumer, 1_000)) as string;
    now = new Date(now.getTime() + HOUR);
    const young = (await openJob(ledger, consumer, 2_000)) as string;
    now = new Date(now.getTime() + 60_000);

    const coordinator = await startCoordinator({ db, adminToken: TEST_ADMIN_TOKEN, clock: () => now, verification: false, orphanJobs: { maxAgeMs: 30 * 60_000 } });
    await coordinator.close();

    expect(await statusOf(old)).toBe("abandoned");
    expect(await statusOf(young)).toBe("running");
    expect(await ledger.balance(consumer)).toMatchObject({ balanceMicroUsd: 10_000, reservedMicroUsd: 2_000 });
    // The young job is still someone's: it settles normally.
    expect((await settle(ledger, young, "0x00000000000000000000000000000000000000bb", 1_500)).status).toBe("settled");
    expect(await ledger.balance(consumer)).toEqual({ balanceMicroUsd: 8_500, reservedMicroUsd: 0, availableMicroUsd: 8_500 });
    expect(await auditBooks(db)).toEqual([]);
  });

  it("closes a job one way only when a sweep races its settlement", async () => {
    const consumer = await fundedConsumer(db, 100_000, now);
    const jobs = await Promise.all(Array.from({ length: 12 }, () => openJob(ledger, consumer, 5_000)));
    now = new Date(now.getTime() + 1_000);
    const node = "0x00000000000000000000000000000000000000cc";
    const [, ...settled] = await Promise.all([releaseOrphanJobs(db, now, now, 100), ...jobs.map((id) => settle(ledger, id as string, node, 1_000))]);
    const settledCount = settled.filter((r) => r.status === "settled").length;
    const abandoned = (await db.query<{ n: unknown }>(`SELECT COUNT(*) AS n FROM jobs WHERE status = 'abandoned' AND id = ANY($1::text[])`, [jobs])).rows[0]?.n;
    expect(settledCount + Number(abandoned)).toBe(12);
    expect(await ledger.balance(consumer)).toEqual({ balanceMicroUsd: 100_000 - settledCount * 1_000, reservedMicroUsd: 0, availableMicroUsd: 100_000 - settledCount * 1_000 });
    expect(await auditBooks(db)).toEqual([]);
  });
});
