/**
 * `offpeak appeal` against a real control server (in front of the in-memory agent used by the UI
 * tests), found through the control file in the data folder as a person's shell would: the
 * statement goes to the node, a bad one is refused before anything is sent, and `--status`
 * prints the quarantine and the operator's decision.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeControlApi } from "../../tests/fake-electron/fake-control-api";
import { CLEAR_STANDING } from "../../shared/appeal";
import { startCliNode, type CliNode } from "./cli-node.fixture";
import { main } from "./main";

describe("offpeak appeal", () => {
  let control: FakeControlApi;
  let node: CliNode;
  let out: string[];
  let err: string[];
  const io = () => ({ out: (l: string) => out.push(l), err: (l: string) => err.push(l), stopSignal: new Promise<void>(() => {}) });
  const data = () => node.dataDir;

  beforeEach(async () => {
    control = new FakeControlApi();
    control.update({ standing: { ...CLEAR_STANDING, quarantine: { reason: "answered a known-answer check wrongly", since: Date.UTC(2025, 2, 1) } } });
    node = await startCliNode(control, "appeal");
    out = [];
    err = [];
  });
  afterEach(async () => {
    await node.close();
  });

  it("sends the statement to the node, which signs and files it", async () => {
    expect(await main(["appeal", "The GPU driver was updated that night.", "--data-dir", data()], io())).toBe(0);
    expect(err).toEqual([]);
    expect(out.join("\n")).toMatch(/Appeal 1 sent, signed by this node/);
    expect(control.appeals).toEqual(["The GPU driver was updated that night."]);
    out = [];
    expect(await main(["appeal", "--status", "--data-dir", data()], io())).toBe(0);
    expect(out).toEqual(["Quarantined: answered a known-answer check wrongly", "Appeal 1: open, waiting for the operator's decision."]);
  });

  it("refuses an empty or too long statement, or none, before anything is sent", async () => {
    expect(await main(["appeal", "   ", "--data-dir", data()], io())).toBe(2);
    expect(await main(["appeal", "x".repeat(1_001), "--data-dir", data()], io())).toBe(2);
    expect(await main(["appeal", "--data-dir", data()], io())).toBe(2);
    expect(await main(["appeal", "two", "words", "--data-dir", data()], io())).toBe(2);
    expect(err.join("\n")).toMatch(/write why the quarantine is wrong/);
    expect(err.join("\n")).toMatch(/at most 1000 characters \(this one has 1001\)/);
    expect(err.join("\n")).toMatch(/give the statement as one argument, in quotes/);
    expect(control.appeals).toEqual([]);
  });

  it("says why the coordinator refused, and prints a rejection with its reason", async () => {
    control.appealRefusal = "The coordinator refused the appeal: An appeal of this node is already open: wait for the operator's decision.";
    expect(await main(["appeal", "Again.", "--data-dir", data()], io())).toBe(1);
    expect(err).toEqual(["offpeak appeal: The coordinator refused the appeal: An appeal of this node is already open: wait for the operator's decision."]);
    control.update({
      standing: { ...control.state.standing, appeal: { id: "4", status: "rejected", statement: "x", createdAt: 1, decidedAt: 2, reason: "the same wrong answer three times" } },
    });
    expect(await main(["appeal", "--status", "--data-dir", data()], io())).toBe(0);
    expect(out).toContain("Appeal 4: rejected: the same wrong answer three times");
  });

  it("says so when no node is running", async () => {
    await node.server.close();
    expect(await main(["appeal", "Hello.", "--data-dir", data()], io())).toBe(3);
    expect(err.join("\n")).toMatch(/not answering/);
  });
});
