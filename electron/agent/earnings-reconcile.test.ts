import { describe, expect, it } from "vitest";
import type { CreditedJob } from "../../shared/earnings-view";
import { IN_FLIGHT_MS, reconcile } from "./earnings-reconcile";
import type { LocalReceipt } from "./receipt-log";

const NOW = Date.UTC(2026, 5, 1, 12);
const HOUR = 3_600_000;
const SINCE = NOW - 24 * HOUR;

function local(jobId: string, signedAt: number, overrides: Partial<LocalReceipt> = {}): LocalReceipt {
  return {
    jobId,
    model: "tiny",
    promptTokens: 3,
    completionTokens: 8,
    outputHash: `0x${"aa".repeat(32)}`,
    signature: `0x${"bb".repeat(65)}`,
    ending: "stop",
    signedAt,
    coordinator: "ws://c/v1/node",
    creditedMicroUsd: null,
    ...overrides,
  };
}

function credited(jobId: string, at: number, state: CreditedJob["state"], overrides: Partial<CreditedJob> = {}): CreditedJob {
  return {
    jobId,
    at,
    model: "tiny",
    promptTokens: 3,
    completionTokens: 8,
    amountMicroUsd: 40,
    state,
    availableAt: at + 24 * HOUR,
    outputHash: `0x${"aa".repeat(32)}`,
    signature: `0x${"bb".repeat(65)}`,
    refund: null,
    ...overrides,
  };
}

/** A credit of 40 µUSD the coordinator refunded to the consumer for `reason`. */
function refunded(jobId: string, at: number, reason: string): CreditedJob {
  return credited(jobId, at, "refunded", { amountMicroUsd: 0, refund: { at: at + HOUR, microUsd: 40, reason } });
}

describe("reconciling the node's receipts with the coordinator's credits", () => {
  it("matches credited receipts and says what is pending, held or available", () => {
    const { rows, reconciliation } = reconcile({
      local: [local("a", NOW - 3 * HOUR), local("b", NOW - 2 * HOUR), local("c", NOW - HOUR, { creditedMicroUsd: 40 })],
      damagedLines: 0,
      credited: [credited("c", NOW - HOUR + 50, "pending"), credited("b", NOW - 2 * HOUR + 50, "pending"), credited("a", NOW - 3 * HOUR + 50, "available")],
      truncated: false,
      since: SINCE,
      now: NOW,
    });
    expect(rows.map((r) => [r.jobId, r.state, r.amountMicroUsd])).toEqual([
      ["c", "pending", 40],
      ["b", "pending", 40],
      ["a", "available", 40],
    ]);
    expect(reconciliation).toMatchObject({ signed: 3, pending: 2, available: 1, missingAtCoordinator: 0, missingLocally: 0, differences: 0 });
    expect(reconciliation.notes).toEqual(["2 receipts pending: credited, available once the verification window ends."]);
  });

  it("shows a receipt missing at the coordinator, one just signed, and a credit with no local receipt", () => {
    const { rows, reconciliation } = reconcile({
      local: [local("lost", NOW - 10 * 60_000), local("fresh", NOW - IN_FLIGHT_MS + 1_000), local("old", NOW - 30 * HOUR)],
      damagedLines: 2,
      credited: [credited("stranger", NOW - HOUR, "available")],
      truncated: false,
      since: SINCE,
      now: NOW,
    });
    expect(rows.map((r) => [r.jobId, r.state])).toEqual([
      ["fresh", "in-flight"],
      ["lost", "missing"],
      ["stranger", "unrecorded"],
    ]);
    expect(reconciliation).toMatchObject({ signed: 2, inFlight: 1, missingAtCoordinator: 1, missingLocally: 1, damagedLines: 2 });
    expect(reconciliation.notes).toEqual([
      "1 receipt not credited yet: just signed, the coordinator is settling it.",
      "1 receipt missing at the coordinator.",
      "1 credit at the coordinator with no receipt in this node's record.",
      "2 lines of this node's receipt record could not be read.",
    ]);
  });

  it("names token, hash and amount differences between the two records", () => {
    const { rows, reconciliation } = reconcile({
      local: [local("t", NOW - HOUR, { completionTokens: 12 }), local("h", NOW - HOUR, { outputHash: `0x${"cc".repeat(32)}` }), local("m", NOW - HOUR, { creditedMicroUsd: 50 })],
      damagedLines: 0,
      credited: [credited("t", NOW - HOUR, "pending"), credited("h", NOW - HOUR, "pending"), credited("m", NOW - HOUR, "held")],
      truncated: false,
      since: SINCE,
      now: NOW,
      holdReason: "failed a known-answer check",
    });
    const diff = Object.fromEntries(rows.map((r) => [r.jobId, r.difference]));
    expect(diff.t).toBe("tokens: 3 + 12 here, 3 + 8 at the coordinator");
    expect(diff.h).toBe("the output hash differs");
    expect(diff.m).toBe("amount: $0.00005 announced, $0.00004 in the ledger");
    expect(reconciliation).toMatchObject({ differences: 3, held: 1, pending: 2 });
    expect(reconciliation.notes).toContain("1 receipt is held by the coordinator: failed a known-answer check.");
    expect(reconciliation.notes).toContain("3 jobs differ between this node's record and the coordinator's.");
  });

  it("matches a credit to a receipt signed just before the period began", () => {
    const { rows, reconciliation } = reconcile({
      local: [local("edge", SINCE - 1_000)],
      damagedLines: 0,
      credited: [credited("edge", SINCE + 1_000, "pending")],
      truncated: false,
      since: SINCE,
      now: NOW,
    });
    expect(rows.map((r) => r.state)).toEqual(["pending"]);
    expect(reconciliation.missingLocally).toBe(0);
  });

  it("checks nothing it could not compare: coordinator unreachable, or older than the records it sent", () => {
    const down = reconcile({ local: [local("a", NOW - HOUR)], damagedLines: 0, credited: null, truncated: false, since: SINCE, now: NOW });
    expect(down.rows.map((r) => r.state)).toEqual(["unchecked"]);
    expect(down.reconciliation.missingAtCoordinator).toBe(0);
    expect(down.reconciliation.notes).toEqual(["1 receipt signed here could not be checked: the coordinator did not answer."]);

    const partial = reconcile({
      local: [local("new", NOW - HOUR), local("older", NOW - 5 * HOUR)],
      damagedLines: 0,
      credited: [credited("new", NOW - HOUR, "pending")],
      truncated: true,
      since: SINCE,
      now: NOW,
    });
    expect(partial.rows.map((r) => [r.jobId, r.state])).toEqual([
      ["new", "pending"],
      ["older", "unchecked"],
    ]);
    expect(partial.reconciliation.missingAtCoordinator).toBe(0);
    expect(partial.reconciliation.notes).toContain("Only the latest 1 credited job was compared.");
  });

  it("knows receipts refunded to their consumers: not missing, worth 0, with the coordinator's reasons", () => {
    const rerun = "a re-run on other nodes disagreed with this answer: different text";
    const quarantine = "the node that served this failed verification: wrong known answer.";
    const { rows, reconciliation } = reconcile({
      local: [
        local("r1", NOW - 3 * HOUR, { creditedMicroUsd: 40 }),
        local("r2", NOW - 2 * HOUR),
        local("r3", NOW - 2 * HOUR + 1),
        local("ok", NOW - HOUR, { creditedMicroUsd: 40 }),
      ],
      damagedLines: 0,
      credited: [credited("ok", NOW - HOUR, "pending"), refunded("r3", NOW - 2 * HOUR + 1, quarantine), refunded("r2", NOW - 2 * HOUR, quarantine), refunded("r1", NOW - 3 * HOUR, rerun)],
      truncated: false,
      since: SINCE,
      now: NOW,
    });
    expect(rows.map((r) => [r.jobId, r.state, r.amountMicroUsd, r.refund?.reason ?? null, r.difference])).toEqual([
      ["ok", "pending", 40, null, null],
      ["r3", "refunded", 0, quarantine, null],
      ["r2", "refunded", 0, quarantine, null],
      // The 40 µUSD announced when the job was credited is what the refund took back: no difference.
      ["r1", "refunded", 0, rerun, null],
    ]);
    expect(reconciliation).toMatchObject({ signed: 4, pending: 1, refunded: 3, missingAtCoordinator: 0, missingLocally: 0, differences: 0 });
    expect(reconciliation.notes).toEqual([
      "1 receipt pending: credited, available once the verification window ends.",
      `3 jobs were refunded to their consumers after a failed verification: the node that served this failed verification: wrong known answer; ${rerun}.`,
    ]);

    const one = reconcile({ local: [local("r", NOW - HOUR, { creditedMicroUsd: 55 })], damagedLines: 0, credited: [refunded("r", NOW - HOUR, rerun)], truncated: false, since: SINCE, now: NOW });
    expect(one.reconciliation.notes).toEqual([
      `1 job was refunded to its consumer after a failed verification: ${rerun}.`,
      "1 job differs between this node's record and the coordinator's.",
    ]);
    // An amount announced that is not what the refund took back is still named.
    expect(one.rows[0]?.difference).toBe("amount: $0.000055 announced, $0.00004 in the ledger");
  });

  it("finds nothing to say when both records agree and nothing is pending", () => {
    const { reconciliation } = reconcile({ local: [local("a", NOW - HOUR)], damagedLines: 0, credited: [credited("a", NOW - HOUR, "available")], truncated: false, since: SINCE, now: NOW });
    expect(reconciliation.notes).toEqual([]);
  });
});
