/**
 * Signed withdrawal requests and reads are bound to the coordinator they were signed for: two
 * networks paying out on the same chain, each with its own ledger, where one node has earnings at
 * both. A request or read the node signed for one is refused by the other with a clear error, and
 * moves no money there.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../coordinator/db";
import { nodeAccountId } from "../../coordinator/ledger";
import { WithdrawalClient } from "../../electron/agent/withdrawal-client";
import type { NodeWallet } from "../../electron/agent/wallet";
import { NODE_AUTH_HEADERS } from "../../shared/withdrawal";
import { accountBalance, creditNode, ledgerSums, postWithdrawal, randomNodeWallet, signedRequest, startCoordinatorWithWithdrawals, testWithdrawalTerms, WITHDRAWAL_DESTINATION as DEST, type WithdrawalCoordinator as Network } from "../support/withdrawal-fixtures";

const TERMS = testWithdrawalTerms();

const startNetwork = (coordinatorId: string) => startCoordinatorWithWithdrawals(TERMS, { coordinatorId });

const seconds = () => Math.floor(Date.now() / 1000);

describe("a withdrawal signed for one coordinator", () => {
  let a: Network;
  let b: Network;
  let wallet: NodeWallet;

  beforeAll(async () => {
    a = await startNetwork("wss://pool-a.example/v1/node");
    b = await startNetwork("wss://pool-b.example/v1/node");
    wallet = await randomNodeWallet();
    await creditNode(a.db, wallet.address, 30_000_000);
    await creditNode(b.db, wallet.address, 30_000_000);
  });

  afterAll(async () => {
    for (const n of [a, b]) await n?.close();
  });

  const withdrawalCount = async (db: Database) => (await db.query(`SELECT id FROM withdrawals`)).rows.length;

  it("is paid by that coordinator and refused by another one, which moves no money", async () => {
    const body = await signedRequest(wallet, { chainId: TERMS.chainId, coordinatorId: a.coordinator.coordinatorId }, { to: DEST, amountMicroUsd: 10_000_000, deadline: seconds() + 600 });
    expect(body.coordinator).toBe("wss://pool-a.example/v1/node");
    expect((await postWithdrawal(a.coordinator.url, body)).status).toBe(201);
    expect(await accountBalance(a.db, nodeAccountId(wallet.address))).toBe(30_000_000 - 10_100_000);

    const replayed = await postWithdrawal(b.coordinator.url, body);
    expect(replayed.status).toBe(401);
    expect(replayed.body).toEqual({
      error: {
        message: 'The request was signed for coordinator "wss://pool-a.example/v1/node", not this one ("wss://pool-b.example/v1/node"): sign it again for this coordinator.',
        type: "authentication_error",
        code: "wrong_coordinator",
        param: "coordinator",
      },
    });
    // Naming B instead does not help: the signature covers the coordinator it was made for.
    const renamed = await postWithdrawal(b.coordinator.url, { ...body, coordinator: b.coordinator.coordinatorId });
    expect([renamed.status, renamed.body.error?.code]).toEqual([401, "invalid_signature"]);

    expect(await accountBalance(b.db, nodeAccountId(wallet.address))).toBe(30_000_000);
    expect(await withdrawalCount(b.db)).toBe(0);
    expect(await ledgerSums(b.db)).toEqual({ balances: 0, entries: 0 });
  });

  it("refuses a body without the coordinator it was signed for", async () => {
    const body = await signedRequest(wallet, { chainId: TERMS.chainId, coordinatorId: b.coordinator.coordinatorId }, { to: DEST, amountMicroUsd: 2_000_000, deadline: seconds() + 600 });
    const { coordinator: _named, ...unnamed } = body;
    const reply = await postWithdrawal(b.coordinator.url, unnamed);
    expect([reply.status, reply.body.error?.code, reply.body.error?.message]).toEqual([400, "invalid_body", expect.stringMatching(/^Invalid withdrawal request: coordinator /)]);
    expect(await accountBalance(b.db, nodeAccountId(wallet.address))).toBe(30_000_000);
  });

  it("refuses a read of the withdrawals signed for another coordinator", async () => {
    const deadline = String(seconds() + 60);
    const read = (n: Network, signature: string) =>
      fetch(`${n.coordinator.url}/v1/nodes/withdrawals`, {
        headers: { [NODE_AUTH_HEADERS.node]: wallet.address, [NODE_AUTH_HEADERS.deadline]: deadline, [NODE_AUTH_HEADERS.signature]: signature },
      });
    const forA = await wallet.signWithdrawalRead(Number(deadline), a.coordinator.coordinatorId);
    expect((await read(a, forA)).status).toBe(200);
    const atB = await read(b, forA);
    expect(atB.status).toBe(401);
    expect(await atB.json()).toMatchObject({ error: { code: "invalid_signature", message: expect.stringContaining("wss://pool-b.example/v1/node") } });
  });

  it("is signed by the node's client for the coordinator it talks to, which it asks for its id", async () => {
    const client = new WithdrawalClient({ coordinatorUrl: b.coordinator.wsUrl, wallet });
    const made = await client.withdraw({ to: DEST, amountMicroUsd: 3_000_000 });
    if (!made.ok) throw new Error(made.error);
    expect(made.value).toMatchObject({ amountMicroUsd: 3_000_000, status: "requested" });
    expect(await client.list()).toEqual({ ok: true, value: [made.value] });
    expect(await accountBalance(b.db, nodeAccountId(wallet.address))).toBe(30_000_000 - 3_100_000);
    // A's ledger saw none of it.
    expect(await withdrawalCount(a.db)).toBe(1);
  });
});
