/**
 * The coordinator's periodic release of node credits: credits past their window become
 * available without anyone asking, a backlog drains in bounded batches, and a failed run is
 * logged and retried at the next tick.
 */
import { describe, expect, it } from "vitest";
import type { Logger } from "../shared/logger";
import { silentLogger } from "../shared/logger";
import { startCreditReleaser } from "./credit-release";
import { openDatabase } from "./db";
import { Ledger } from "./ledger";
import { waitUntil } from "./test-support/harness";
import { fundedConsumer, openJob, settle } from "./test-support/ledger-jobs";

describe("the credit releaser", () => {
  it("makes due credits available on its own, in batches", async () => {
    const db = await openDatabase(undefined);
    try {
      const ledger = new Ledger(db, () => new Date(), { verificationWindowMs: 0 });
      const consumer = await fundedConsumer(db, 1_000_000);
      const node = "0x00000000000000000000000000000000000000f1";
      for (let i = 0; i < 5; i++) {
        const jobId = await openJob(ledger, consumer, 100);
        if (!jobId) throw new Error("reservation refused");
        await settle(ledger, jobId, node, 100);
      }
      const runs: number[] = [];
      const releaser = startCreditReleaser({
        ledger: { releaseDueCredits: async (limit) => ((r) => (runs.push(r.credits), r))(await ledger.releaseDueCredits(limit)) },
        logger: silentLogger,
        intervalMs: 60_000,
        batchSize: 2,
      });
      await waitUntil(async () => (await ledger.nodeEarnings(node)).availableMicroUsd === 500, 5_000, "the credits to be released");
      await releaser.stop();
      // One tick: batches of 2 until one came back short.
      expect(runs).toEqual([2, 2, 1]);
      expect(await releaser.tick()).toBe(0);
    } finally {
      await db.close();
    }
  });

  it("logs a failed run and carries on at the next tick; ticks never overlap", async () => {
    const errors: string[] = [];
    const logger: Logger = { ...silentLogger, error: (message) => errors.push(message) };
    let calls = 0;
    let active = 0;
    let overlapped = false;
    const releaser = startCreditReleaser({
      ledger: {
        async releaseDueCredits() {
          calls++;
          active++;
          overlapped ||= active > 1;
          await new Promise((r) => setTimeout(r, 20));
          active--;
          if (calls === 1) throw new Error("connection lost");
          return { credits: 0, microUsd: 0, nodes: 0 };
        },
      },
      logger,
      intervalMs: 10,
    });
    await waitUntil(() => calls >= 3, 5_000, "later ticks");
    await Promise.all([releaser.tick(), releaser.tick()]);
    await releaser.stop();
    expect(errors).toEqual(["releasing node credits failed; retrying at the next tick"]);
    expect(overlapped).toBe(false);
  });
});
