/**
 * Forfeiture of held earnings, on both databases, with the clock moved by the test: a node still
 * quarantined when its appeal window has passed since its hold loses its held consumer credits
 * and those consumers are refunded, once however often it runs; an open appeal stops the clock
 * and a rejected one adds the time it was open; an upheld appeal saves the credits; the
 * periodic credit release runs it; the books stay sound.
 */
import { expect, it } from "vitest";
import { silentLogger } from "../shared/logger";
import { fileAppeal, rejectAppeal, upholdOpenAppeal } from "./appeals";
import { forfeitExpiredHolds, forfeitReason } from "./appeal-expiry";
import { creditCheckJob } from "./check-ledger";
import { startCreditReleaser } from "./credit-release";
import { consumerRefunds } from "./job-refunds";
import { Reputation } from "./reputation";
import { auditBooks } from "./test-support/ledger-books";
import { fundedConsumer, openJob, receiptFor, settle } from "./test-support/ledger-jobs";
import { ledgerForSuite, nodeAddresses } from "./test-support/ledger-suite";
import { describeOnEachDatabase } from "../tests/support/database-suites";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WINDOW = 30 * DAY;
const newNode = nodeAddresses(0xa9900);

describeOnEachDatabase("forfeiture of held earnings", (database) => {
  let now = new Date("2026-06-01T00:00:00Z");
  const clock = () => now;
  const books = ledgerForSuite(database, clock, { verificationWindowMs: HOUR });
  const later = (ms: number) => {
    now = new Date(now.getTime() + ms);
  };

  async function reputation(): Promise<Reputation> {
    const r = await Reputation.load(books.db, clock, silentLogger);
    r.hooks = {
      onQuarantine: async (address, reason) => void (await books.ledger.holdPending(address, reason)),
      onRelease: async (address) => {
        await books.ledger.releaseHold(address);
        await upholdOpenAppeal(books.db, address, now);
      },
    };
    return r;
  }

  /** A node that served `costs` for one consumer, then was quarantined by the operator. */
  async function heldNode(costs: number[]) {
    const node = newNode();
    const consumer = await fundedConsumer(books.db, 1_000_000, now);
    for (const cost of costs) {
      const job = await openJob(books.ledger, consumer, cost);
      if (!job) throw new Error("reservation refused");
      expect((await settle(books.ledger, job, node, cost, 1_000)).status).toBe("settled");
    }
    const rep = await reputation();
    await rep.quarantine(node, "by the operator: odd answers");
    return { node, consumer, rep };
  }
  const balance = async (account: string) => (await books.ledger.balance(account)).balanceMicroUsd;
  const file = (address: string, statement: string) => fileAppeal(books.db, { address, statement, signedAt: now.getTime(), signature: `0x${"11".repeat(65)}`, at: now });

  it("refunds the consumers of a node still quarantined after the window, once", async () => {
    const { node, consumer } = await heldNode([1_000, 2_500]);
    // A verification job paid by the platform is not consumer work: it stays held.
    await creditCheckJob(books.db, { jobId: `chk_${node}`, address: node, model: "m", receipt: receiptFor(`chk_${node}`), finishReason: "stop", costMicroUsd: 40, at: now, verificationWindowMs: HOUR });
    const before = await balance(consumer);
    later(WINDOW - 1);
    expect((await forfeitExpiredHolds(books.db, now, WINDOW)).nodes).not.toContain(node);
    later(1);
    const first = await forfeitExpiredHolds(books.db, now, WINDOW);
    expect(first.nodes).toContain(node);
    expect(await balance(consumer)).toBe(before + 3_500);
    const refunds = await consumerRefunds(books.db, consumer, new Date(0));
    expect(refunds.lines.map((l) => l.reason)).toEqual([forfeitReason(WINDOW), forfeitReason(WINDOW)]);
    expect(forfeitReason(WINDOW)).toBe("forfeited: no appeal upheld within 30 days");
    const earnings = await books.ledger.nodeEarnings(node);
    expect(earnings.heldMicroUsd).toBe(40);
    // Again, and again later: nothing more moves.
    expect((await forfeitExpiredHolds(books.db, now, WINDOW)).nodes).not.toContain(node);
    later(DAY);
    expect((await forfeitExpiredHolds(books.db, now, WINDOW)).nodes).not.toContain(node);
    expect(await balance(consumer)).toBe(before + 3_500);
    expect(await auditBooks(books.db)).toEqual([]);
  });

  it("pauses while an appeal is open and adds the time it was open after a rejection", async () => {
    const { node, consumer } = await heldNode([700]);
    const before = await balance(consumer);
    later(10 * DAY);
    const filed = await file(node, "please look again");
    if (!filed.ok) throw new Error(filed.message);
    later(40 * DAY);
    // Open for 40 days, 50 days after the hold: nothing is forfeited.
    expect((await forfeitExpiredHolds(books.db, now, WINDOW)).nodes).not.toContain(node);
    expect(await rejectAppeal(books.db, filed.appeal.id, "no", now)).not.toBeNull();
    // The window ends 30 + 40 days after the hold: 20 days from now.
    later(20 * DAY - 1);
    expect((await forfeitExpiredHolds(books.db, now, WINDOW)).nodes).not.toContain(node);
    expect(await balance(consumer)).toBe(before);
    later(1);
    expect((await forfeitExpiredHolds(books.db, now, WINDOW)).nodes).toContain(node);
    expect(await balance(consumer)).toBe(before + 700);
    expect(await auditBooks(books.db)).toEqual([]);
  });

  it("forfeits nothing of a node whose appeal was upheld", async () => {
    const { node, consumer, rep } = await heldNode([900]);
    const before = await balance(consumer);
    later(5 * DAY);
    const filed = await file(node, "fixed");
    if (!filed.ok) throw new Error(filed.message);
    expect(await rep.release(node)).toBe(true);
    later(60 * DAY);
    expect((await forfeitExpiredHolds(books.db, now, WINDOW)).nodes).not.toContain(node);
    expect(await balance(consumer)).toBe(before);
    await books.ledger.releaseDueCredits();
    expect((await books.ledger.nodeEarnings(node)).availableMicroUsd).toBe(900 - Math.floor((900 * 1_000) / 10_000));
    expect(await auditBooks(books.db)).toEqual([]);
  });

  it("runs from the periodic credit release", async () => {
    const { node, consumer } = await heldNode([1_200]);
    const before = await balance(consumer);
    later(WINDOW);
    const told: string[] = [];
    const releaser = startCreditReleaser({
      ledger: books.ledger,
      logger: silentLogger,
      intervalMs: 3_600_000,
      forfeit: () => forfeitExpiredHolds(books.db, now, WINDOW),
      onForfeited: (address) => told.push(address),
    });
    try {
      await releaser.tick();
      await releaser.tick();
    } finally {
      await releaser.stop();
    }
    expect(told.filter((a) => a === node)).toEqual([node]);
    expect(await balance(consumer)).toBe(before + 1_200);
    expect(await auditBooks(books.db)).toEqual([]);
  });
});
