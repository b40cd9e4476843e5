/**
 * `offpeak earnings` against a real control server (in front of the in-memory agent used by the
 * UI tests), found through the control file in the data folder as a person's shell would.
 */
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { earningsViewSchema } from "../../shared/earnings-view";
import { FakeControlApi } from "../../tests/fake-electron/fake-control-api";
import { refundedEarningsView, SAMPLE_REFUND_REASON, sampleEarningsView } from "../../tests/fake-electron/fake-earnings";
import { startCliNode, type CliNode } from "./cli-node.fixture";
import { main } from "./main";

const NOW = Date.UTC(2026, 5, 1, 12, 0);

describe("offpeak earnings", () => {
  let control: FakeControlApi;
  let node: CliNode;
  let out: string[];
  let err: string[];
  const io = () => ({ out: (l: string) => out.push(l), err: (l: string) => err.push(l), stopSignal: new Promise<void>(() => {}) });

  beforeEach(async () => {
    control = new FakeControlApi();
    control.now = () => NOW;
    node = await startCliNode(control, "earnings", NOW);
    out = [];
    err = [];
  });
  afterEach(async () => {
    await node.close();
  });

  it("prints the balances, the jobs and the differences with the coordinator", async () => {
    expect(await main(["earnings", "--data-dir", node.dataDir], io())).toBe(0);
    expect(err).toEqual([]);
    const text = out.join("\n");
    expect(text).toContain("Earnings of 0x5b3E6f1c0D7A4c2b9E8F3a1d6C0b7e4A2f9D1c38 (last 24 h)");
    expect(text).toContain("  Available  $12.50");
    expect(text).toContain("  Pending    $0.00504 (available 24 h after each job)");
    expect(text).toContain("  Withdrawn  $3.00");
    expect(text).toContain("Jobs (4, times in UTC):");
    expect(text).toMatch(/2026-06-01 11:30 {2}offpeak-demo-tiny {2}48 tokens {2}— {2}missing at the coordinator/);
    expect(text).toContain("  1 receipt missing at the coordinator.");
    expect(control.earningsCalls).toEqual(["24h"]);
  });

  it("prints a job refunded to its consumer in words, with the coordinator's reason, and not as missing", async () => {
    control.earnings = (range) => ({ ok: true, value: refundedEarningsView(range, NOW) });
    expect(await main(["earnings", "--data-dir", node.dataDir], io())).toBe(0);
    const text = out.join("\n");
    expect(text).toContain("Jobs (5, times in UTC):");
    expect(out).toContain(`  2026-06-01 11:00  offpeak-demo-tiny  48 tokens  $0.00  refunded to the consumer: ${SAMPLE_REFUND_REASON}`);
    expect(text).toContain(`  1 job was refunded to its consumer after a failed verification: ${SAMPLE_REFUND_REASON}.`);
    // Only the receipt that really is missing is called missing.
    expect(text.match(/missing at the coordinator/g)).toHaveLength(2);

    out = [];
    expect(await main(["earnings", "--json", "--data-dir", node.dataDir], io())).toBe(0);
    const view = earningsViewSchema.parse(JSON.parse(out.join("\n")));
    expect(view.rows.find((r) => r.jobId === "job_refunded")).toMatchObject({ state: "refunded", amountMicroUsd: 0, refund: { microUsd: 2_160, reason: SAMPLE_REFUND_REASON } });
    expect(view.reconciliation.refunded).toBe(1);
  });

  it("prints the whole view as JSON for the period asked", async () => {
    expect(await main(["earnings", "--range", "7d", "--json", "--data-dir", node.dataDir], io())).toBe(0);
    const view = earningsViewSchema.parse(JSON.parse(out.join("\n")));
    expect(view).toEqual(sampleEarningsView("7d", NOW));
    expect(control.earningsCalls).toEqual(["7d"]);
  });

  it("says when the coordinator could not be asked, and still lists the node's receipts", async () => {
    control.earnings = (range) => ({
      ok: true,
      value: { ...sampleEarningsView(range, NOW), coordinator: null, coordinatorError: "the coordinator at http://127.0.0.1:9 did not answer (fetch failed)" },
    });
    expect(await main(["earnings", "--data-dir", node.dataDir], io())).toBe(0);
    expect(out.join("\n")).toContain("The coordinator could not be asked: the coordinator at http://127.0.0.1:9 did not answer (fetch failed).");
  });

  it("refuses a bad period before asking the node, and reports the node's refusal", async () => {
    expect(await main(["earnings", "--range", "1y", "--data-dir", node.dataDir], io())).toBe(2);
    expect(err.join("\n")).toMatch(/^offpeak earnings: --range takes 24h, 7d or 30d, got "1y"\n\nUsage: offpeak earnings /);
    err = [];
    expect(await main(["earnings", "--period", "7d", "--data-dir", node.dataDir], io())).toBe(2);
    expect(err.join("\n")).toMatch(/^offpeak earnings: Unknown option '--period'.*\n\nUsage: offpeak earnings /s);
    err = [];
    expect(await main(["earnings", "now", "--data-dir", node.dataDir], io())).toBe(2);
    expect(err.join("\n")).toMatch(/^offpeak earnings: unexpected argument "now"/);
    expect(await main(["earnings", "--help"], io())).toBe(0);
    expect(out.join("\n")).toMatch(/^Usage: offpeak earnings \[--range 24h\|7d\|30d\]/m);
    expect(control.earningsCalls).toEqual([]);
    const direct = await fetch(`http://127.0.0.1:${node.server.port}/api/earnings?range=1y`, { headers: { authorization: `Bearer ${node.server.token}` } });
    expect([direct.status, await direct.json()]).toEqual([400, { error: "expected ?range=24h, 7d or 30d" }]);

    err = [];
    control.failWith = "This node keeps no receipt record, so it cannot show its earnings.";
    expect(await main(["earnings", "--data-dir", node.dataDir], io())).toBe(1);
    expect(err).toEqual(["This node keeps no receipt record, so it cannot show its earnings."]);
  });

  it("exits 3 when no node runs on this machine", async () => {
    expect(await main(["earnings", "--data-dir", join(node.dataDir, "..", "elsewhere")], io())).toBe(3);
    expect(err.join("\n")).not.toBe("");
  });
});
