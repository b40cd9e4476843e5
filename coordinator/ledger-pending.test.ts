/**
 * A node's credits on both databases: pending first, available after the verification window,
 * held while the node is on hold; the release run is bounded, idempotent, and safe when two
 * coordinators run it at once on one database.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { openDatabase, toSafeInteger, type Database } from "./db";
import { Ledger, nodeAccountId, nodeHeldAccountId, nodePendingAccountId, postTransfer } from "./ledger";
import { auditBooks } from "./test-support/ledger-books";
import { fundedConsumer, openJob, settle } from "./test-support/ledger-jobs";
import { describeOnEachDatabase } from "../tests/support/database-suites";

const HOUR = 3_600_000;
let serial = 0;
/** A fresh node address per test, so tests sharing a database do not see each other's credits. */
function newNode(): string {
  serial += 1;
  return `0x${serial.toString(16).padStart(40, "0")}`;
}

describeOnEachDatabase("node credits", (database) => {
  let db: Database;
  let now = new Date("2026-05-01T10:00:00Z");
  let ledger: Ledger;
  let consumer: string;

  beforeAll(async () => {
    db = await openDatabase(database.target());
    ledger = new Ledger(db, () => now, { verificationWindowMs: 24 * HOUR });
    consumer = await fundedConsumer(db, 1_000_000_000, now);
  });
  afterAll(async () => {
    await db?.close();
  });

  async function creditJob(node: string, cost: number, feeBps = 0): Promise<string> {
    const jobId = await openJob(ledger, consumer, cost);
    if (!jobId) throw new Error("the consumer could not cover the job");
    expect((await settle(ledger, jobId, node, cost, feeBps)).status).toBe("settled");
    return jobId;
  }

  const advance = (ms: number) => {
    now = new Date(now.getTime() + ms);
  };

  /** Makes every earlier test's credits available, so a test counts only its own. */
  async function flush(): Promise<void> {
    advance(25 * HOUR);
    while ((await ledger.releaseDueCredits()).credits > 0);
  }

  it("credits land pending and become available once, after the verification window", async () => {
    const node = newNode();
    await creditJob(node, 700);
    await creditJob(node, 300);
    expect(await ledger.nodeEarnings(node)).toMatchObject({ pendingMicroUsd: 1_000, availableMicroUsd: 0, lifetimeMicroUsd: 1_000 });

    advance(23 * HOUR);
    await ledger.releaseDueCredits();
    expect(await ledger.nodeEarnings(node)).toMatchObject({ pendingMicroUsd: 1_000, availableMicroUsd: 0 });

    advance(HOUR);
    const first = await ledger.releaseDueCredits();
    expect(first.credits).toBeGreaterThanOrEqual(2);
    expect(await ledger.nodeEarnings(node)).toMatchObject({ pendingMicroUsd: 0, availableMicroUsd: 1_000, lifetimeMicroUsd: 1_000 });
    expect(await ledger.releaseDueCredits()).toEqual({ credits: 0, microUsd: 0, nodes: 0 });
    expect((await ledger.balance(nodeAccountId(node))).balanceMicroUsd).toBe(1_000);
    expect(await auditBooks(db)).toEqual([]);
  });

  it("releases at most `limit` credits per run, oldest first", async () => {
    await flush();
    const node = newNode();
    for (let i = 0; i < 5; i++) {
      await creditJob(node, 10 * (i + 1));
      advance(1_000);
    }
    advance(24 * HOUR);
    expect(await ledger.releaseDueCredits(2)).toEqual({ credits: 2, microUsd: 30, nodes: 1 });
    expect(await ledger.nodeEarnings(node)).toMatchObject({ availableMicroUsd: 30, pendingMicroUsd: 120 });
    expect((await ledger.releaseDueCredits(10)).credits).toBe(3);
    expect(await ledger.nodeEarnings(node)).toMatchObject({ availableMicroUsd: 150, pendingMicroUsd: 0 });
    await expect(ledger.releaseDueCredits(0)).rejects.toThrow(RangeError);
  });

  it("holds a node's pending credits, credits it held while the hold lasts, and releases the hold", async () => {
    const node = newNode();
    const other = newNode();
    await creditJob(node, 400);
    await creditJob(other, 100);
    expect(await ledger.holdPending(node, "failed a known-answer check")).toEqual({ heldMicroUsd: 400, credits: 1 });
    expect(await ledger.holdOf(node)).toMatchObject({ reason: "failed a known-answer check" });
    await creditJob(node, 50);
    expect(await ledger.nodeEarnings(node)).toMatchObject({ pendingMicroUsd: 0, heldMicroUsd: 450, availableMicroUsd: 0, lifetimeMicroUsd: 450 });

    advance(25 * HOUR);
    await ledger.releaseDueCredits();
    expect(await ledger.nodeEarnings(node)).toMatchObject({ heldMicroUsd: 450, availableMicroUsd: 0 });
    expect(await ledger.nodeEarnings(other)).toMatchObject({ availableMicroUsd: 100, pendingMicroUsd: 0 });

    expect(await ledger.holdPending(node, "second check failed")).toEqual({ heldMicroUsd: 450, credits: 2 });
    expect((await ledger.holdOf(node))?.reason).toBe("second check failed");
    expect(await ledger.releaseHold(node)).toBe(true);
    expect(await ledger.releaseHold(node)).toBe(false);
    expect(await ledger.holdOf(node)).toBeNull();
    expect(await ledger.nodeEarnings(node)).toMatchObject({ pendingMicroUsd: 450, heldMicroUsd: 0 });
    await ledger.releaseDueCredits();
    expect(await ledger.nodeEarnings(node)).toMatchObject({ pendingMicroUsd: 0, heldMicroUsd: 0, availableMicroUsd: 450 });
    expect(await auditBooks(db)).toEqual([]);
  });

  it("refuses a hold without a reason and moves nothing", async () => {
    const node = newNode();
    await creditJob(node, 80);
    await expect(ledger.holdPending(node, "  ")).rejects.toThrow(/reason/);
    expect(await ledger.holdOf(node)).toBeNull();
    expect(await ledger.nodeEarnings(node)).toMatchObject({ pendingMicroUsd: 80, heldMicroUsd: 0 });
  });

  it("counts withdrawals that left the available account, net of refunds", async () => {
    const node = newNode();
    await creditJob(node, 1_000, 1_000);
    advance(25 * HOUR);
    await ledger.releaseDueCredits();
    const at = now;
    await db.transaction(async (tx) => {
      await postTransfer(tx, "withdrawal:test-1", null, [
        { accountId: nodeAccountId(node), amountMicroUsd: -600, kind: "withdrawal" },
        { accountId: "external:withdrawals", amountMicroUsd: 600, kind: "withdrawal" },
        { accountId: nodeAccountId(node), amountMicroUsd: -10, kind: "withdrawal_fee" },
        { accountId: "platform", amountMicroUsd: 10, kind: "withdrawal_fee" },
      ], at);
      await postTransfer(tx, "withdrawal:test-2", null, [
        { accountId: nodeAccountId(node), amountMicroUsd: -200, kind: "withdrawal" },
        { accountId: "external:withdrawals", amountMicroUsd: 200, kind: "withdrawal" },
      ], at);
      await postTransfer(tx, "withdrawal-refund:test-2", null, [
        { accountId: "external:withdrawals", amountMicroUsd: -200, kind: "withdrawal_refund" },
        { accountId: nodeAccountId(node), amountMicroUsd: 200, kind: "withdrawal_refund" },
      ], at);
    });
    const earnings = await ledger.nodeEarnings(node);
    expect(earnings).toMatchObject({ availableMicroUsd: 290, withdrawnMicroUsd: 610, lifetimeMicroUsd: 900 });
    expect(earnings.availableMicroUsd + earnings.pendingMicroUsd + earnings.heldMicroUsd + earnings.withdrawnMicroUsd).toBe(earnings.lifetimeMicroUsd);
  });

  it("releases each credit once when two coordinators run the release at the same time", async () => {
    await flush();
    const nodes = [newNode(), newNode(), newNode()];
    let expected = 0;
    for (let i = 0; i < 30; i++) {
      const node = nodes[i % nodes.length] as string;
      await creditJob(node, 5 + i);
      expected += 5 + i;
    }
    advance(25 * HOUR);
    // A second connection to the same database: on PostgreSQL a second pool, as a second process has.
    const second = database.kind === "PostgreSQL" ? await openDatabase(database.target()) : db;
    try {
      const other = new Ledger(second, () => now);
      const runs = await Promise.all([ledger.releaseDueCredits(7), other.releaseDueCredits(7), ledger.releaseDueCredits(7), other.releaseDueCredits(7)]);
      const rest = await Promise.all([ledger.releaseDueCredits(), other.releaseDueCredits()]);
      const released = [...runs, ...rest].reduce((sum, r) => sum + r.microUsd, 0);
      expect(released).toBe(expected);
    } finally {
      if (second !== db) await second.close();
    }
    let available = 0;
    for (const node of nodes) {
      const e = await ledger.nodeEarnings(node);
      expect(e.pendingMicroUsd).toBe(0);
      available += e.availableMicroUsd;
    }
    expect(available).toBe(expected);
    const twice = await db.query(`SELECT job_id FROM node_credits WHERE state <> 'available' AND node_address = ANY($1::text[])`, [nodes]);
    expect(twice.rows).toEqual([]);
    expect(await auditBooks(db)).toEqual([]);
  });

  it("puts every credit of a node on the held side when a hold races its settlements", async () => {
    const node = newNode();
    const jobs: string[] = [];
    for (let i = 0; i < 12; i++) {
      const jobId = await openJob(ledger, consumer, 100);
      if (jobId) jobs.push(jobId);
    }
    const settling = jobs.map((jobId) => settle(ledger, jobId, node, 100));
    const hold = ledger.holdPending(node, "quarantined during a spot check");
    await Promise.all([...settling, hold]);
    const earnings = await ledger.nodeEarnings(node);
    expect(earnings).toMatchObject({ pendingMicroUsd: 0, heldMicroUsd: 1_200, availableMicroUsd: 0 });
    const held = await db.query<{ s: unknown }>(`SELECT SUM(amount_micro_usd) AS s FROM node_credits WHERE node_address = $1 AND state = 'held'`, [node]);
    expect(toSafeInteger(held.rows[0]?.s)).toBe(1_200);
    expect((await ledger.balance(nodeHeldAccountId(node))).balanceMicroUsd).toBe(1_200);
    expect((await ledger.balance(nodePendingAccountId(node))).balanceMicroUsd).toBe(0);
    expect(await ledger.releaseHold(node)).toBe(true);
    expect(await auditBooks(db)).toEqual([]);
  });
});
