/**
 * The agent keeps the node's withdrawals in its pushed state against a real coordinator (PGlite):
 * read at start, shown at once when made, followed as the coordinator's record moves on (the
 * rows are moved with the payout worker's own statements, since a chain cannot run here), and
 * the balance read again when one ends — confirmed, or failed and refunded.
 */
import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { failAndRefund } from "../../coordinator/withdrawal-store";
import type { NodeState } from "../../shared/control-api";
import type { WithdrawalView } from "../../shared/withdrawal";
import { creditNode, memoryKeyStore } from "../../tests/support/withdrawal-fixtures";
import { tinyAgentOptionsWith, unconnectedLink } from "./agent-fakes.fixture";
import { NodeAgent, type NodeAgentOptions } from "./node-agent";
import { openWallet } from "./wallet";
import { newWalletSecret } from "./wallet-secret";
import { startWithdrawalCoordinator, WITHDRAWAL_DESTINATION as DEST, type WithdrawalCoordinator } from "./withdrawal-agent.fixture";

let pool: WithdrawalCoordinator;
let agent: NodeAgent | null = null;

beforeAll(async () => {
  pool = await startWithdrawalCoordinator();
});

afterEach(async () => {
  await agent?.stop();
  agent = null;
});

afterAll(async () => {
  await pool.close();
});

/** Starts an agent with a new wallet holding `creditMicroUsd` of earnings; `options` replace the test's own. */
async function startAgent(creditMicroUsd: number, options: Partial<NodeAgentOptions> = {}): Promise<NodeAgent> {
  const wallet = await openWallet(memoryKeyStore(newWalletSecret()));
  if (creditMicroUsd > 0) await creditNode(pool.db, wallet.address, creditMicroUsd);
  const started = new NodeAgent(tinyAgentOptionsWith(wallet, { coordinatorUrl: pool.coordinator.wsUrl, connect: unconnectedLink, ...options }));
  agent = started;
  await started.start();
  return started;
}

/**
 * An agent holding `creditMicroUsd` whose coordinator link is a stand-in (the HTTP reads go to the
 * real coordinator), once its withdrawals are read; `connection` plays the login.
 */
async function readyAgent(creditMicroUsd: number): Promise<{ node: NodeAgent; ready: NodeState; connection: (up: boolean) => void }> {
  let onConnection: (connected: boolean, reason: string) => void = () => {};
  const node = await startAgent(creditMicroUsd, {
    withdrawalFollowDelaysMs: [20, 40, 80],
    connect: (handlers) => {
      onConnection = handlers.onConnection;
      return unconnectedLink();
    },
  });
  const ready = await stateWhere(node, (s) => s.withdrawals.status === "ready");
  return { node, ready, connection: (up) => onConnection(up, up ? "connected" : "the coordinator went away") };
}

/** Asks the agent to withdraw `amountMicroUsd` to {@link DEST}; what it made (failing the test when refused). */
async function withdraw(node: NodeAgent, amountMicroUsd: number): Promise<WithdrawalView> {
  const made = await node.withdraw({ to: DEST, amountMicroUsd });
  if (!made.ok) throw new Error(made.error);
  return made.value;
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
  if (status === "sent") await pool.db.query(`UPDATE withdrawals SET status = 'sent', tx_hash = $2, updated_at = $3 WHERE id = $1`, [id, tx, at]);
  else await pool.db.query(`UPDATE withdrawals SET status = 'confirmed', block_number = 7, updated_at = $2 WHERE id = $1 AND status = 'sent'`, [id, at]);
  return tx;
}

describe("the agent's pushed withdrawals", () => {
  it("shows them in the state, follows one from sent to confirmed, and reads the balance again", async () => {
    const { node, ready, connection } = await readyAgent(10_000_000);
    const pushed: NodeState[] = [];
    node.onState((state) => pushed.push(state));
    expect(ready.withdrawals).toEqual({ status: "ready", error: null, items: [] });
    connection(true);

    const made = await withdraw(node, 2_000_000);
    // Shown at once, and the balance the withdrawal took is read again without waiting for a credit.
    expect(pushed.at(-1)?.withdrawals.items[0]).toMatchObject({ id: made.id, status: "requested" });
    await stateWhere(node, (s) => s.earnings.balanceMicroUsd === 10_000_000 - 2_000_000 - 50_000);

    const tx = await moveRecord(made.id, "sent");
    const sent = await stateWhere(node, (s) => s.withdrawals.items[0]?.status === "sent");
    expect(sent.withdrawals.items[0]?.txHash).toBe(tx);

    // Earnings released meanwhile (no credit message): the end of the withdrawal brings them in.
    await creditNode(pool.db, ready.address, 1_000_000);
    await moveRecord(made.id, "confirmed");
    const confirmed = await stateWhere(node, (s) => s.withdrawals.items[0]?.status === "confirmed");
    expect(confirmed.withdrawals).toEqual({ status: "ready", error: null, items: [{ ...made, status: "confirmed", txHash: tx, updatedAt: confirmed.withdrawals.items[0]?.updatedAt }] });
    await stateWhere(node, (s) => s.earnings.balanceMicroUsd === 8_950_000);
  });

  it("gives the refunded balance back in the state when a withdrawal fails, and stops following", async () => {
    const { node, connection } = await readyAgent(5_000_000);
    connection(true);
    const made = await withdraw(node, 3_000_000);
    await stateWhere(node, (s) => s.earnings.balanceMicroUsd === 1_950_000);

    await pool.db.transaction((tx) => failAndRefund(tx, made.id, "the treasury holds 0 token units", ["requested", "signed"], new Date()));
    const failed = await stateWhere(node, (s) => s.withdrawals.items[0]?.status === "failed");
    expect(failed.withdrawals.items[0]?.failureReason).toBe("the treasury holds 0 token units");
    await stateWhere(node, (s) => s.earnings.balanceMicroUsd === 5_000_000);

    // Nothing moves any more: no read follows, so nothing changes in the state however long one waits.
    const pushed: NodeState["withdrawals"][] = [];
    node.onState((state) => pushed.push(state.withdrawals));
    await pool.db.query(`UPDATE withdrawals SET failure_reason = 'changed after the end' WHERE id = $1`, [made.id]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(pushed.every((feed) => feed.items[0]?.failureReason === "the treasury holds 0 token units")).toBe(true);
    expect((await stateWhere(node, () => true)).withdrawals.items[0]?.failureReason).toBe("the treasury holds 0 token units");
  });

  it("stops following when the coordinator connection goes, and catches up when it is back", async () => {
    const { node, connection } = await readyAgent(5_000_000);
    connection(true);
    const made = await withdraw(node, 1_000_000);
    connection(false);
    await moveRecord(made.id, "sent");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await stateWhere(node, () => true)).withdrawals.items[0]?.status).toBe("requested");
    connection(true);
    await stateWhere(node, (s) => s.withdrawals.items[0]?.status === "sent");
  });

  it("says why when the coordinator cannot be reached, instead of loading forever", async () => {
    const node = await startAgent(0, { coordinatorUrl: "ws://127.0.0.1:1/v1/node" });
    const state = await stateWhere(node, (s) => s.withdrawals.status === "error");
    expect(state.withdrawals).toEqual({ status: "error", error: "the coordinator at http://127.0.0.1:1 did not answer", items: [] });
  });
});
