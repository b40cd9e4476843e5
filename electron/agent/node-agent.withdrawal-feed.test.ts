/**
 * The agent keeps the node's withdrawals in its pushed state against a real coordinator (PGlite):
 * read at start, shown at once when made, followed as the coordinator's record moves on (the
 * rows are moved with the payout worker's own statements, since a chain cannot run here), and
 * the balance read again when one ends — confirmed, or failed and refunded.
 */
import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startCoordinator, type RunningCoordinator } from "../../coordinator/coordinator";
import { openDatabase, type Database } from "../../coordinator/db";
import { failAndRefund } from "../../coordinator/withdrawal-store";
import type { NodeState } from "../../shared/control-api";
import { silentLogger } from "../../shared/logger";
import type { WithdrawalTerms } from "../../shared/withdrawal";
import { creditNode, memoryKeyStore } from "../../tests/support/withdrawal-fixtures";
import { ScriptedEngine } from "./agent-fakes.fixture";
import { NodeAgent } from "./node-agent";
import { MemorySettingsStore } from "./settings-store";
import { openWallet, type WalletVault } from "./wallet";
import { newWalletSecret } from "./wallet-secret";

const TERMS: WithdrawalTerms = {
  chainId: 1337,
  tokenAddress: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  tokenSymbol: "TUSD",
  tokenDecimals: 6,
  feeMicroUsd: 50_000,
  minimumMicroUsd: 1_000_000,
  dailyLimitMicroUsd: 100_000_000,
  confirmations: 1,
};
const DEST = "0x90F8bf6A479f320ead074411a4B0e7944Ea8c9C1";

let db: Database;
let coordinator: RunningCoordinator;
let agent: NodeAgent | null = null;

beforeAll(async () => {
  db = await openDatabase(undefined);
  coordinator = await startCoordinator({ db, adminToken: "admin-token-for-tests", withdrawals: { terms: TERMS } });
});

afterEach(async () => {
  await agent?.stop();
  agent = null;
});

afterAll(async () => {
  await coordinator.close();
  await db.close();
});

/** An agent whose coordinator link is a stand-in (the HTTP reads go to the real coordinator); `connection` plays the login. */
async function startAgent(wallet: WalletVault): Promise<{ agent: NodeAgent; connection: (up: boolean) => void }> {
  let onConnection: (connected: boolean, reason: string) => void = () => {};
  const started = new NodeAgent({
    coordinatorUrl: coordinator.wsUrl,
    model: { id: "tiny", name: "Tiny", path: "/models/tiny.gguf", bytes: 1, demo: true },
    createEngine: () => new ScriptedEngine(),
    settings: new MemorySettingsStore(),
    sandbox: { kind: "bubblewrap", active: true, detail: "bubblewrap: no network" },
    wallet,
    logger: silentLogger,
    agentVersion: "test",
    withdrawalFollowDelaysMs: [20, 40, 80],
    connect: (handlers) => {
      onConnection = handlers.onConnection;
      return { connected: false, start() {}, send: () => false, close: async () => {} };
    },
  });
  agent = started;
  await started.start();
  return { agent: started, connection: (up) => onConnection(up, up ? "connected" : "the coordinator went away") };
}

/** Waits (bounded) until the agent's state satisfies `check`, and returns that state. */
async function stateWhere(subject: NodeAgent, check: (state: NodeState) => boolean): Promise<NodeState> {
  for (let i = 0; i < 500; i++) {
    const result = await subject.getState();
    if (result.ok && check(result.value)) return result.value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const last = await subject.getState();
  throw new Error(`the state never got there: ${JSON.stringify(last.ok && { withdrawals: last.value.withdrawals, earnings: last.value.earnings })}`);
}

/** Moves the coordinator's record on as the payout worker does; "sent" answers with the transaction's hash. */
async function moveRecord(id: string, status: "sent" | "confirmed"): Promise<string> {
  const at = new Date().toISOString();
  const tx = `0x${randomBytes(32).toString("hex")}`;
  if (status === "sent") await db.query(`UPDATE withdrawals SET status = 'sent', tx_hash = $2, updated_at = $3 WHERE id = $1`, [id, tx, at]);
  else await db.query(`UPDATE withdrawals SET status = 'confirmed', block_number = 7, updated_at = $2 WHERE id = $1 AND status = 'sent'`, [id, at]);
  return tx;
}

describe("the agent's pushed withdrawals", () => {
  it("shows them in the state, follows one from sent to confirmed, and reads the balance again", async () => {
    const wallet = await openWallet(memoryKeyStore(newWalletSecret()));
    await creditNode(db, wallet.address, 10_000_000);
    const { agent: node, connection } = await startAgent(wallet);
    const pushed: NodeState[] = [];
    node.onState((state) => pushed.push(state));
    const first = await stateWhere(node, (s) => s.withdrawals.status === "ready");
    expect(first.withdrawals).toEqual({ status: "ready", error: null, items: [] });
    connection(true);

    const made = await node.withdraw({ to: DEST, amountMicroUsd: 2_000_000 });
    if (!made.ok) throw new Error(made.error);
    // Shown at once, and the balance the withdrawal took is read again without waiting for a credit.
    expect(pushed.at(-1)?.withdrawals.items[0]).toMatchObject({ id: made.value.id, status: "requested" });
    await stateWhere(node, (s) => s.earnings.balanceMicroUsd === 10_000_000 - 2_000_000 - 50_000);

    const tx = await moveRecord(made.value.id, "sent");
    const sent = await stateWhere(node, (s) => s.withdrawals.items[0]?.status === "sent");
    expect(sent.withdrawals.items[0]?.txHash).toBe(tx);

    // Earnings released meanwhile (no credit message): the end of the withdrawal brings them in.
    await creditNode(db, wallet.address, 1_000_000);
    await moveRecord(made.value.id, "confirmed");
    const confirmed = await stateWhere(node, (s) => s.withdrawals.items[0]?.status === "confirmed");
    expect(confirmed.withdrawals).toEqual({ status: "ready", error: null, items: [{ ...made.value, status: "confirmed", txHash: tx, updatedAt: confirmed.withdrawals.items[0]?.updatedAt }] });
    await stateWhere(node, (s) => s.earnings.balanceMicroUsd === 8_950_000);
  });

  it("gives the refunded balance back in the state when a withdrawal fails, and stops following", async () => {
    const wallet = await openWallet(memoryKeyStore(newWalletSecret()));
    await creditNode(db, wallet.address, 5_000_000);
    const { agent: node, connection } = await startAgent(wallet);
    await stateWhere(node, (s) => s.withdrawals.status === "ready");
    connection(true);
    const made = await node.withdraw({ to: DEST, amountMicroUsd: 3_000_000 });
    if (!made.ok) throw new Error(made.error);
    await stateWhere(node, (s) => s.earnings.balanceMicroUsd === 1_950_000);

    await db.transaction((tx) => failAndRefund(tx, made.value.id, "the treasury holds 0 token units", ["requested", "signed"], new Date()));
    const failed = await stateWhere(node, (s) => s.withdrawals.items[0]?.status === "failed");
    expect(failed.withdrawals.items[0]?.failureReason).toBe("the treasury holds 0 token units");
    await stateWhere(node, (s) => s.earnings.balanceMicroUsd === 5_000_000);

    // Nothing moves any more: no read follows, so nothing changes in the state however long one waits.
    const pushed: NodeState["withdrawals"][] = [];
    node.onState((state) => pushed.push(state.withdrawals));
    await db.query(`UPDATE withdrawals SET failure_reason = 'changed after the end' WHERE id = $1`, [made.value.id]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(pushed.every((feed) => feed.items[0]?.failureReason === "the treasury holds 0 token units")).toBe(true);
    expect((await stateWhere(node, () => true)).withdrawals.items[0]?.failureReason).toBe("the treasury holds 0 token units");
  });

  it("stops following when the coordinator connection goes, and catches up when it is back", async () => {
    const wallet = await openWallet(memoryKeyStore(newWalletSecret()));
    await creditNode(db, wallet.address, 5_000_000);
    const { agent: node, connection } = await startAgent(wallet);
    await stateWhere(node, (s) => s.withdrawals.status === "ready");
    connection(true);
    const made = await node.withdraw({ to: DEST, amountMicroUsd: 1_000_000 });
    if (!made.ok) throw new Error(made.error);
    connection(false);
    await moveRecord(made.value.id, "sent");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await stateWhere(node, () => true)).withdrawals.items[0]?.status).toBe("requested");
    connection(true);
    await stateWhere(node, (s) => s.withdrawals.items[0]?.status === "sent");
  });

  it("says why when the coordinator cannot be reached, instead of loading forever", async () => {
    const wallet = await openWallet(memoryKeyStore(newWalletSecret()));
    const node = new NodeAgent({
      coordinatorUrl: "ws://127.0.0.1:1/v1/node",
      model: { id: "tiny", name: "Tiny", path: "/models/tiny.gguf", bytes: 1, demo: true },
      createEngine: () => new ScriptedEngine(),
      settings: new MemorySettingsStore(),
      sandbox: { kind: "bubblewrap", active: true, detail: "bubblewrap: no network" },
      wallet,
      logger: silentLogger,
      agentVersion: "test",
      connect: () => ({ connected: false, start() {}, send: () => false, close: async () => {} }),
    });
    agent = node;
    await node.start();
    const state = await stateWhere(node, (s) => s.withdrawals.status === "error");
    expect(state.withdrawals).toEqual({ status: "error", error: "the coordinator at http://127.0.0.1:1 did not answer", items: [] });
  });
});
