/**
 * Payouts end to end on a real local EVM devnet (ganache) with a real ERC-20 (OpenZeppelin,
 * compiled here with solc-js): a node signs a withdrawal, the coordinator takes it, the payout
 * worker transfers the tokens from the treasury and follows the transfer to its confirmations.
 * Also: a treasury that cannot pay, and workers stopped between any two steps — on PGlite and
 * on PostgreSQL.
 */
import { randomBytes } from "node:crypto";
import { getAddress, type Address } from "viem";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startCoordinator, type RunningCoordinator } from "../../coordinator/coordinator";
import { openDatabase, type Database } from "../../coordinator/db";
import { nodeAccountId } from "../../coordinator/ledger";
import { connectPayoutChain } from "../../coordinator/payout-chain";
import { PayoutWorker, type PayoutStepHooks } from "../../coordinator/payout-worker";
import { silentLogger } from "../../shared/logger";
import type { WithdrawalTerms, WithdrawalView } from "../../shared/withdrawal";
import { WithdrawalClient } from "../../electron/agent/withdrawal-client";
import type { NodeWallet } from "../../electron/agent/wallet";
import { describeOnEachDatabase } from "../support/database-suites";
import { startDevnet, type Devnet } from "../support/devnet";
import { accountBalance, creditNode, ledgerSums, postWithdrawal, randomNodeWallet, signedRequest } from "../support/withdrawal-fixtures";

const USD = 1_000_000;

let devnet: Devnet;
let token: Address;
let terms: WithdrawalTerms;

beforeAll(async () => {
  devnet = await startDevnet();
  token = await devnet.deployToken(6);
  await devnet.mint(token, treasury().address, 1_000n * BigInt(USD));
  terms = {
    chainId: devnet.chainId,
    tokenAddress: token,
    tokenSymbol: "TUSD",
    tokenDecimals: 6,
    feeMicroUsd: 100_000,
    minimumMicroUsd: 5 * USD,
    dailyLimitMicroUsd: 500 * USD,
    confirmations: 2,
  };
});

afterAll(async () => {
  await devnet?.close();
});

/** The funded treasury; accounts[2] holds ether but no tokens. */
const treasury = () => devnet.accounts[1] as { address: Address; key: `0x${string}` };
const emptyTreasury = () => devnet.accounts[2] as { address: Address; key: `0x${string}` };
const freshDestination = () => getAddress(`0x${randomBytes(20).toString("hex")}`);

describeOnEachDatabase("payouts on a devnet", (target) => {
  let db: Database;
  let coordinator: RunningCoordinator;
  let wallet: NodeWallet;
  let client: WithdrawalClient;

  const worker = (hooks?: PayoutStepHooks, key = treasury().key) =>
    new PayoutWorker({ db, chain: connectPayoutChain({ rpcUrl: devnet.rpcUrl, chainId: devnet.chainId, token, treasuryKey: key }), terms, logger: silentLogger, hooks });
  const available = () => accountBalance(db, nodeAccountId(wallet.address));
  const history = async (): Promise<WithdrawalView[]> => {
    const listed = await client.list();
    if (!listed.ok) throw new Error(listed.error);
    return listed.value;
  };
  const only = async () => {
    const [w, ...rest] = await history();
    if (!w || rest.length > 0) throw new Error("expected exactly one withdrawal");
    return w;
  };
  const withdraw = async (to: Address, amountMicroUsd: number) => {
    const result = await client.withdraw({ to, amountMicroUsd });
    if (!result.ok) throw new Error(result.error);
    return result.value;
  };

  beforeAll(async () => {
    db = await openDatabase(target.target());
    // This coordinator takes requests; each test runs the payout worker it needs.
    coordinator = await startCoordinator({ db, adminToken: "admin-token-for-tests", withdrawals: { terms } });
  });

  afterAll(async () => {
    await coordinator.close();
    await db.close();
  });

  beforeEach(async () => {
    wallet = await randomNodeWallet();
    client = new WithdrawalClient({ coordinatorUrl: coordinator.wsUrl, wallet });
    await creditNode(db, wallet.address, 100 * USD);
  });

  it("transfers the tokens to the destination and confirms after the configured blocks", async () => {
    const to = freshDestination();
    const treasuryBefore = await devnet.balanceOf(token, treasury().address);
    const requested = await withdraw(to, 12_500_000);
    expect(requested.status).toBe("requested");

    const payer = worker();
    payer.start();
    try {
      await waitFor(async () => (await only()).status === "sent", "the transfer to be sent");
    } finally {
      await payer.stop();
    }
    const sent = await only();
    expect(sent.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(await devnet.balanceOf(token, to)).toBe(12_500_000n);
    expect(await devnet.balanceOf(token, treasury().address)).toBe(treasuryBefore - 12_500_000n);

    // One block on top of the transfer's makes the two confirmations the terms ask for.
    await worker().tick();
    expect((await only()).status).toBe("sent");
    await devnet.mine(1);
    await worker().tick();
    expect(await only()).toMatchObject({ status: "confirmed", txHash: sent.txHash, failureReason: null });
    expect(await available()).toBe(100 * USD - 12_600_000);
    expect(await ledgerSums(db)).toEqual({ balances: 0, entries: 0 });
  });

  it("pays a replayed request once", async () => {
    const to = freshDestination();
    const body = await signedRequest(wallet, { ...terms, coordinatorId: coordinator.coordinatorId }, { to, amountMicroUsd: 7 * USD, deadline: Math.floor(Date.now() / 1000) + 600 });
    expect((await postWithdrawal(coordinator.url, body)).status).toBe(201);
    await worker().tick();
    const replay = await postWithdrawal(coordinator.url, body);
    expect(replay.status).toBe(200);
    expect(replay.body.withdrawal?.status).toBe("sent");
    await worker().tick();
    expect(await devnet.balanceOf(token, to)).toBe(7_000_000n);
    expect(await history()).toHaveLength(1);
    expect(await available()).toBe(100 * USD - 7_100_000);
  });

  it("ends a transfer the treasury cannot make as failed, with the reason, and gives the balance back", async () => {
    const to = freshDestination();
    await withdraw(to, 9 * USD);
    expect(await available()).toBe(100 * USD - 9_100_000);
    await worker(undefined, emptyTreasury().key).tick();
    const failed = await only();
    expect(failed).toMatchObject({ status: "failed", txHash: null });
    expect(failed.failureReason).toBe("the treasury holds 0 token units and 9000000 are needed");
    expect(await available()).toBe(100 * USD);
    expect(await devnet.balanceOf(token, to)).toBe(0n);
    expect(await ledgerSums(db)).toEqual({ balances: 0, entries: 0 });
    // A failed withdrawal does not count against the day's limit; the next worker pays the next request.
    const terms = await client.terms();
    expect(terms.ok && terms.value.withdrawnTodayMicroUsd).toBe(0);
    await worker().tick();
    expect((await only()).status).toBe("failed");
  });

  it("sends the very same signed transaction after a stop between signing and broadcasting", async () => {
    const to = freshDestination();
    await withdraw(to, 11 * USD);
    const crash = new Error("stopped after signing");
    await expect(worker({ afterSign: () => Promise.reject(crash) }).tick()).rejects.toBe(crash);
    const signed = await only();
    expect(signed.status).toBe("signed");
    expect(signed.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(await devnet.balanceOf(token, to)).toBe(0n);

    await worker().tick();
    expect(await only()).toMatchObject({ status: "sent", txHash: signed.txHash });
    expect(await devnet.balanceOf(token, to)).toBe(11_000_000n);
    await devnet.mine(1);
    await worker().tick();
    await worker().tick();
    expect(await only()).toMatchObject({ status: "confirmed", txHash: signed.txHash });
    expect(await devnet.balanceOf(token, to)).toBe(11_000_000n);
  });

  it("pays once after a stop between broadcasting and recording it", async () => {
    const to = freshDestination();
    await withdraw(to, 6 * USD);
    const crash = new Error("stopped after broadcasting");
    await expect(worker({ afterBroadcast: () => Promise.reject(crash) }).tick()).rejects.toBe(crash);
    const signed = await only();
    expect(signed.status).toBe("signed");
    expect(await devnet.balanceOf(token, to)).toBe(6_000_000n);

    // The new worker sends the same bytes again; the chain already has them, nothing more moves.
    await worker().tick();
    expect(await only()).toMatchObject({ status: "sent", txHash: signed.txHash });
    await devnet.mine(1);
    await worker().tick();
    expect(await only()).toMatchObject({ status: "confirmed", txHash: signed.txHash });
    expect(await devnet.balanceOf(token, to)).toBe(6_000_000n);
    expect(await available()).toBe(100 * USD - 6_100_000);
  });

  it("pays each of several requests once when two workers run at the same time", async () => {
    const destinations = [freshDestination(), freshDestination(), freshDestination()];
    for (const to of destinations) await withdraw(to, 5 * USD);
    await Promise.all([worker().tick(), worker().tick()]);
    await Promise.all([worker().tick(), worker().tick()]);
    for (const to of destinations) expect(await devnet.balanceOf(token, to)).toBe(5_000_000n);
    const all = await history();
    // The later transfers' blocks confirm the earlier ones.
    expect(all.map((w) => w.status).every((status) => status === "sent" || status === "confirmed")).toBe(true);
    expect(new Set(all.map((w) => w.txHash)).size).toBe(3);
  });
});

describe("a coordinator paying out", () => {
  it("refuses to start when the token's decimals are not the configured ones", async () => {
    const db = await openDatabase(undefined);
    try {
      const chain = connectPayoutChain({ rpcUrl: devnet.rpcUrl, chainId: devnet.chainId, token, treasuryKey: treasury().key });
      await expect(startCoordinator({ db, adminToken: "admin-token-for-tests", withdrawals: { terms: { ...terms, tokenDecimals: 18 }, chain } })).rejects.toThrow(
        "the payout token has 6 decimals, the configuration says 18",
      );
      const wrongChain = connectPayoutChain({ rpcUrl: devnet.rpcUrl, chainId: 1, token, treasuryKey: treasury().key });
      await expect(startCoordinator({ db, adminToken: "admin-token-for-tests", withdrawals: { terms: { ...terms, chainId: 1 }, chain: wrongChain } })).rejects.toThrow(
        `the payout RPC serves chain ${devnet.chainId}, but withdrawals are signed for chain 1`,
      );
    } finally {
      await db.close();
    }
  });

  it("pays an 18-decimal token 10^12 units per micro-USD", async () => {
    const db = await openDatabase(undefined);
    const token18 = await devnet.deployToken(18, "T18");
    await devnet.mint(token18, treasury().address, 10n ** 21n);
    const terms18 = { ...terms, tokenAddress: token18, tokenDecimals: 18, confirmations: 1 };
    const chain = connectPayoutChain({ rpcUrl: devnet.rpcUrl, chainId: devnet.chainId, token: token18, treasuryKey: treasury().key });
    const coordinator = await startCoordinator({ db, adminToken: "admin-token-for-tests", withdrawals: { terms: terms18, chain, pollMs: 50 } });
    try {
      const wallet = await randomNodeWallet();
      await creditNode(db, wallet.address, 20 * USD);
      const client = new WithdrawalClient({ coordinatorUrl: coordinator.wsUrl, wallet });
      const to = freshDestination();
      const requested = await client.withdraw({ to, amountMicroUsd: 12_500_000 });
      expect(requested.ok).toBe(true);
      await waitFor(async () => {
        const listed = await client.list();
        return listed.ok && listed.value[0]?.status === "confirmed";
      }, "the coordinator's own worker to confirm the transfer");
      expect(await devnet.balanceOf(token18, to)).toBe(12_500_000n * 10n ** 12n);
    } finally {
      await coordinator.close();
      await db.close();
    }
  });
});

/** Polls `check` every 50 ms, failing after 20 s. */
async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
