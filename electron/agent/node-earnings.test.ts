/**
 * The owner's earnings as the agent shows them: a real coordinator on PGlite, the agent with its
 * real coordinator link and receipt record, a request from the official openai client. The
 * record holds the receipt and no text; getEarnings reconciles it with the coordinator's
 * per-job records and shows a receipt the coordinator never credited, a job refunded to its
 * consumer as refunded (not missing), and still answers when the coordinator is gone.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../shared/logger";
import { Ledger } from "../../coordinator/ledger";
import { startTestCoordinator, waitUntil, type TestCoordinator } from "../../coordinator/test-support/harness";
import { ScriptedEngine } from "./agent-fakes.fixture";
import { FileKeyStore } from "./key-store";
import { NodeAgent } from "./node-agent";
import { ReceiptLog } from "./receipt-log";
import { MemorySettingsStore } from "./settings-store";
import { openWallet } from "./wallet";

const HOUR = 3_600_000;
const MARKER = "marmalade-lighthouse-4471";

describe("the agent's earnings view", () => {
  let dir: string;
  let t: TestCoordinator;
  let agent: NodeAgent;
  let log: ReceiptLog;
  let logNow: number | null = null;
  let client: OpenAI;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "offpeak-node-earnings-"));
    t = await startTestCoordinator({ feeBps: 500, verificationWindowMs: HOUR });
    log = new ReceiptLog(join(dir, "receipts.jsonl"), t.coordinator.wsUrl, () => logNow ?? Date.now());
    const engine = new ScriptedEngine();
    engine.words = ["Quiet", " harbour", " lights"];
    agent = new NodeAgent({
      coordinatorUrl: t.coordinator.wsUrl,
      wallet: await openWallet(new FileKeyStore(dir)),
      logger: silentLogger,
      agentVersion: "test",
      model: { id: "tiny", name: "Tiny", path: "/models/tiny.gguf", bytes: 1, demo: true },
      createEngine: () => engine,
      settings: new MemorySettingsStore(),
      sandbox: { kind: "bubblewrap", active: true, detail: "test" },
      receiptLog: log,
    });
    await agent.start();
    await waitUntil(async () => {
      const s = await agent.getState();
      return s.ok && s.value.activity === "ready";
    }, 10_000, "the node to be ready");
    const key = await t.coordinator.createApiKey(5_000_000, "node earnings test");
    client = new OpenAI({ apiKey: key.key, baseURL: `${t.coordinator.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await agent?.stop();
    await t?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("records the receipt it signed, without the prompt or the answer, and matches the coordinator's credit", async () => {
    const answer = await client.completions.create({ model: "tiny", prompt: `Write about ${MARKER}`, max_tokens: 3 });
    expect(answer.choices[0]?.text).toBe("Quiet harbour lights");
    await waitUntil(async () => {
      const s = await agent.getState();
      return s.ok && s.value.earnings.jobsServed === 1;
    }, 5_000, "the credit");

    // The announced credit is appended when its message arrives, which may be after the state's update.
    let record = "";
    await waitUntil(async () => {
      record = await readFile(join(dir, "receipts.jsonl"), "utf8");
      return record.trim().split("\n").length >= 2;
    }, 5_000, "the credit in the receipt record");
    expect(record).not.toContain(MARKER);
    expect(record).not.toContain("harbour");
    expect(record.trim().split("\n")).toHaveLength(2); // the signed receipt and the announced credit

    const view = await agent.getEarnings("24h");
    if (!view.ok) throw new Error(view.error);
    const { coordinator, rows, reconciliation, series } = view.value;
    expect(view.value.coordinatorError).toBeNull();
    expect(coordinator?.balances.pendingMicroUsd).toBeGreaterThan(0);
    expect(coordinator).toMatchObject({ feeBps: 500, verificationWindowMs: HOUR, balances: { availableMicroUsd: 0 } });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ state: "pending", model: "tiny", completionTokens: 3, amountMicroUsd: coordinator?.balances.pendingMicroUsd, difference: null });
    expect(reconciliation).toMatchObject({ signed: 1, pending: 1, missingAtCoordinator: 0, missingLocally: 0, differences: 0 });
    expect(series.unit).toBe("hour");
    expect(series.points).toHaveLength(24);
    expect(series.points.reduce((sum, p) => sum + p.microUsd, 0)).toBe(coordinator?.balances.pendingMicroUsd);
  });

  it("shows a receipt the coordinator never credited", async () => {
    logNow = Date.now() - 10 * 60_000;
    await log.recordSigned(
      { jobId: "job_never_settled", model: "tiny", promptTokens: 2, completionTokens: 2, outputHash: `0x${"00".repeat(32)}`, signature: `0x${"11".repeat(65)}` },
      "stop",
    );
    logNow = null;
    const view = await agent.getEarnings("7d");
    if (!view.ok) throw new Error(view.error);
    expect(view.value.rows.find((r) => r.jobId === "job_never_settled")).toMatchObject({ state: "missing", amountMicroUsd: null });
    expect(view.value.reconciliation.missingAtCoordinator).toBe(1);
    expect(view.value.reconciliation.notes).toContain("1 receipt missing at the coordinator.");
    expect(view.value.series).toMatchObject({ unit: "day" });
    expect(view.value.series.points).toHaveLength(7);
  });

  it("shows a job the coordinator refunded to its consumer as refunded, with the reason, not as missing", async () => {
    const before = await agent.getEarnings("24h");
    if (!before.ok) throw new Error(before.error);
    const served = before.value.rows.find((r) => r.state === "pending");
    if (!served) throw new Error("no pending job to refund");
    const reason = "a re-run on other nodes disagreed with this answer: different text";
    const refunded = await new Ledger(t.db, () => new Date()).refundJob(served.jobId, agent.address, reason);
    expect(refunded.parts).toBe(1);

    const view = await agent.getEarnings("24h");
    if (!view.ok) throw new Error(view.error);
    expect(view.value.rows.find((r) => r.jobId === served.jobId)).toMatchObject({
      state: "refunded",
      amountMicroUsd: 0,
      difference: null,
      refund: { microUsd: served.amountMicroUsd, reason },
    });
    expect(view.value.reconciliation).toMatchObject({ refunded: 1, pending: 0, missingAtCoordinator: 1, missingLocally: 0, differences: 0 });
    expect(view.value.reconciliation.notes).toContain(`1 job was refunded to its consumer after a failed verification: ${reason}.`);
    expect(view.value.coordinator?.balances.pendingMicroUsd).toBe(0);
    expect(view.value.series.points.reduce((sum, p) => sum + p.microUsd, 0)).toBe(0);
  });

  it("refuses a period it does not know", async () => {
    expect(await agent.getEarnings("1y" as "24h")).toEqual({ ok: false, error: 'getEarnings takes "24h", "7d" or "30d"' });
  });

  it("still shows its own receipts when the coordinator is gone", async () => {
    await t.coordinator.close();
    const view = await agent.getEarnings("24h");
    if (!view.ok) throw new Error(view.error);
    expect(view.value.coordinator).toBeNull();
    expect(view.value.coordinatorError).toMatch(/did not answer/);
    expect(view.value.rows.map((r) => r.state)).toEqual(["unchecked", "unchecked"]);
    expect(view.value.reconciliation.notes).toEqual(["2 receipts signed here could not be checked: the coordinator did not answer."]);
  });
});
