/**
 * Withdrawal requests end to end between a node (its real wallet and withdrawal client) and a
 * coordinator over HTTP, on PGlite and on a real PostgreSQL: what is accepted, what is refused
 * and why, replays, and requests racing for the same balance.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startCoordinator, type RunningCoordinator } from "../../coordinator/coordinator";
import { openDatabase, type Database } from "../../coordinator/db";
import { nodeAccountId, PLATFORM_ACCOUNT } from "../../coordinator/ledger";
import { WITHDRAWALS_ACCOUNT } from "../../coordinator/withdrawal-store";
import { WithdrawalClient } from "../../electron/agent/withdrawal-client";
import type { NodeWallet } from "../../electron/agent/wallet";
import { describeOnEachDatabase } from "../support/database-suites";
import { accountBalance, creditNode, ledgerSums, postWithdrawal, randomNodeWallet, signedRequest, startCoordinatorWithWithdrawals, testWithdrawalTerms, WITHDRAWAL_DESTINATION as DEST, type WithdrawalCoordinator } from "../support/withdrawal-fixtures";

const TERMS = testWithdrawalTerms({ minimumMicroUsd: 5_000_000 });

describeOnEachDatabase("withdrawal requests", (target) => {
  let pool: WithdrawalCoordinator;
  let db: Database;
  let coordinator: RunningCoordinator;
  let now: number;
  let wallet: NodeWallet;
  let client: WithdrawalClient;
  const seconds = () => Math.floor(now / 1000);
  /** What a request signed for this coordinator names: its chain and its id. */
  const desk = () => ({ chainId: TERMS.chainId, coordinatorId: coordinator.coordinatorId });

  beforeAll(async () => {
    now = Date.UTC(2025, 5, 2, 10, 0, 0);
    pool = await startCoordinatorWithWithdrawals(TERMS, { database: target.target(), clock: () => new Date(now) });
    ({ db, coordinator } = pool);
  });

  afterAll(async () => {
    await pool.close();
  });

  beforeEach(async () => {
    now += 86_400_000; // a new UTC day per test: daily limits start afresh
    wallet = await randomNodeWallet();
    client = new WithdrawalClient({ coordinatorUrl: coordinator.wsUrl, wallet, now: () => now });
  });

  const available = () => accountBalance(db, nodeAccountId(wallet.address));

  it("pays amount + fee out of the available balance, the fee to the platform, and lists it", async () => {
    await creditNode(db, wallet.address, 20_000_000);
    const platformBefore = await accountBalance(db, PLATFORM_ACCOUNT);
    const outBefore = await accountBalance(db, WITHDRAWALS_ACCOUNT);
    const terms = await client.terms();
    expect(terms).toEqual({ ok: true, value: { ...TERMS, address: wallet.address, availableMicroUsd: 20_000_000, withdrawnTodayMicroUsd: 0 } });

    const result = await client.withdraw({ to: DEST, amountMicroUsd: 12_500_000 });
    if (!result.ok) throw new Error(result.error);
    expect(result.value).toMatchObject({ to: DEST, amountMicroUsd: 12_500_000, feeMicroUsd: 100_000, status: "requested", txHash: null, chainId: 1337 });
    expect(await available()).toBe(20_000_000 - 12_600_000);
    expect(await accountBalance(db, PLATFORM_ACCOUNT)).toBe(platformBefore + 100_000);
    expect(await accountBalance(db, WITHDRAWALS_ACCOUNT)).toBe(outBefore + 12_500_000);
    expect(await ledgerSums(db)).toEqual({ balances: 0, entries: 0 });

    const listed = await client.list();
    expect(listed).toEqual({ ok: true, value: [result.value] });
    const after = await client.terms();
    expect(after.ok && after.value.withdrawnTodayMicroUsd).toBe(12_500_000);
  });

  it("answers a replayed request with the first one's withdrawal and moves nothing more", async () => {
    await creditNode(db, wallet.address, 30_000_000);
    const body = await signedRequest(wallet, desk(), { to: DEST, amountMicroUsd: 10_000_000, deadline: seconds() + 600 });
    const first = await postWithdrawal(coordinator.url, body);
    expect(first.status).toBe(201);
    expect(first.body.replayed).toBe(false);
    const left = await available();
    const second = await postWithdrawal(coordinator.url, body);
    expect(second.status).toBe(200);
    expect(second.body.replayed).toBe(true);
    expect(second.body.withdrawal).toEqual(first.body.withdrawal);
    expect(await available()).toBe(left);
    // The same nonce for another amount is refused, not paid.
    const other = await signedRequest(wallet, desk(), { to: DEST, amountMicroUsd: 6_000_000, deadline: seconds() + 600, nonce: body.nonce as `0x${string}` });
    const conflict = await postWithdrawal(coordinator.url, other);
    expect(conflict.status).toBe(409);
    expect(conflict.body.error?.code).toBe("nonce_reused");
    expect(await available()).toBe(left);
    const listed = await client.list();
    expect(listed.ok && listed.value).toHaveLength(1);
  });

  it("refuses a request signed by another key than the node it names", async () => {
    await creditNode(db, wallet.address, 30_000_000);
    const thief = await randomNodeWallet();
    const body = await signedRequest(thief, desk(), { to: DEST, amountMicroUsd: 10_000_000, deadline: seconds() + 600, node: wallet.address });
    const reply = await postWithdrawal(coordinator.url, body);
    expect(reply.status).toBe(401);
    expect(reply.body.error?.code).toBe("invalid_signature");
    // A signature over other fields than those sent is refused the same way.
    const tampered = { ...(await signedRequest(wallet, desk(), { to: DEST, amountMicroUsd: 5_000_000, deadline: seconds() + 600 })), amountMicroUsd: 25_000_000 };
    expect((await postWithdrawal(coordinator.url, tampered)).status).toBe(401);
    expect(await available()).toBe(30_000_000);
  });

  it("refuses an expired deadline, another chain, and a body that is not a request", async () => {
    await creditNode(db, wallet.address, 30_000_000);
    const expired = await postWithdrawal(coordinator.url, await signedRequest(wallet, desk(), { to: DEST, amountMicroUsd: 10_000_000, deadline: seconds() }));
    expect([expired.status, expired.body.error?.code]).toEqual([400, "deadline_passed"]);
    const chain = await postWithdrawal(coordinator.url, await signedRequest(wallet, desk(), { to: DEST, amountMicroUsd: 10_000_000, deadline: seconds() + 60, chainId: 1 }));
    expect([chain.status, chain.body.error?.code]).toEqual([400, "wrong_chain"]);
    const junk = await postWithdrawal(coordinator.url, "{not json");
    expect([junk.status, junk.body.error?.code]).toEqual([400, "invalid_json"]);
    const fraction = await postWithdrawal(coordinator.url, { ...(await signedRequest(wallet, desk(), { to: DEST, amountMicroUsd: 10_000_000, deadline: seconds() + 60 })), amountMicroUsd: 10.5 });
    expect([fraction.status, fraction.body.error?.code]).toEqual([400, "invalid_body"]);
    expect(await available()).toBe(30_000_000);
  });

  it("refuses more than the available balance (fee included), below the minimum, and over the daily limit", async () => {
    await creditNode(db, wallet.address, 60_000_000);
    const over = await client.withdraw({ to: DEST, amountMicroUsd: 60_000_000 });
    expect(over).toEqual({ ok: false, error: "This would pass the daily limit of $50.00: $50.00 can still be withdrawn today (UTC)." });
    const small = await client.withdraw({ to: DEST, amountMicroUsd: 4_999_999 });
    expect(small).toEqual({ ok: false, error: "The smallest withdrawal is $5.00." });
    expect((await client.withdraw({ to: DEST, amountMicroUsd: 30_000_000 })).ok).toBe(true);
    const limit = await client.withdraw({ to: DEST, amountMicroUsd: 25_000_000 });
    expect(limit).toEqual({ ok: false, error: "This would pass the daily limit of $50.00: $20.00 can still be withdrawn today (UTC)." });
    expect((await client.withdraw({ to: DEST, amountMicroUsd: 20_000_000 })).ok).toBe(true);
    expect(await available()).toBe(60_000_000 - 50_200_000);

    now += 86_400_000; // the next UTC day: the limit allows more, the balance does not
    const broke = await client.withdraw({ to: DEST, amountMicroUsd: 9_800_000 });
    expect(broke).toEqual({ ok: false, error: "The available balance is $9.80; $9.80 plus the $0.10 network fee is more." });
    expect((await client.withdraw({ to: DEST, amountMicroUsd: 9_700_000 })).ok).toBe(true);
    expect(await available()).toBe(0);
  });

  it("refuses a destination that is not EIP-55 checksummed, at the node and at the coordinator", async () => {
    await creditNode(db, wallet.address, 30_000_000);
    const lower = DEST.toLowerCase();
    const typo = DEST.replace("F8bf", "F8Bf");
    expect(await client.withdraw({ to: lower, amountMicroUsd: 10_000_000 })).toEqual({ ok: false, error: expect.stringMatching(/EIP-55 capitals/) });
    // EIP-712 hashes an address whatever its case, so one signature covers every spelling.
    const signed = await signedRequest(wallet, desk(), { to: lower, amountMicroUsd: 10_000_000, deadline: seconds() + 60 });
    for (const to of [lower, typo, DEST.toUpperCase().replace("0X", "0x"), "0x0000000000000000000000000000000000000000", "0x1234"]) {
      const reply = await postWithdrawal(coordinator.url, { ...signed, to });
      expect([to, reply.status, reply.body.error?.code]).toEqual([to, 400, "invalid_destination"]);
    }
    expect(await available()).toBe(30_000_000);
  });

  it("lets exactly one of several requests racing for the same balance pass", async () => {
    await creditNode(db, wallet.address, 12_000_000);
    const bodies = await Promise.all(Array.from({ length: 6 }, () => signedRequest(wallet, desk(), { to: DEST, amountMicroUsd: 10_000_000, deadline: seconds() + 600 })));
    const replies = await Promise.all(bodies.map((body) => postWithdrawal(coordinator.url, body)));
    const statuses = replies.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 422, 422, 422, 422, 422]);
    expect(replies.filter((r) => r.status === 422).every((r) => r.body.error?.code === "insufficient_balance")).toBe(true);
    expect(await available()).toBe(1_900_000);
    // The same signed request sent many times at once still makes one withdrawal.
    await creditNode(db, wallet.address, 10_100_000);
    const same = await signedRequest(wallet, desk(), { to: DEST, amountMicroUsd: 10_000_000, deadline: seconds() + 600 });
    const copies = await Promise.all(Array.from({ length: 5 }, () => postWithdrawal(coordinator.url, same)));
    expect(copies.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 201]);
    expect(new Set(copies.map((r) => r.body.withdrawal?.id)).size).toBe(1);
    expect(await available()).toBe(1_900_000);
    expect(await ledgerSums(db)).toEqual({ balances: 0, entries: 0 });
  });

  it("shows a node's history only to a read signed by that node", async () => {
    const url = `${coordinator.url}/v1/nodes/withdrawals`;
    expect((await fetch(url)).status).toBe(401);
    const other = await randomNodeWallet();
    const deadline = String(seconds() + 60);
    const forged = await fetch(url, { headers: { "x-offpeak-node": wallet.address, "x-offpeak-deadline": deadline, "x-offpeak-signature": await other.signWithdrawalRead(Number(deadline), coordinator.coordinatorId) } });
    expect(forged.status).toBe(401);
    const stale = String(seconds() - 1);
    const expired = await fetch(url, { headers: { "x-offpeak-node": wallet.address, "x-offpeak-deadline": stale, "x-offpeak-signature": await wallet.signWithdrawalRead(Number(stale), coordinator.coordinatorId) } });
    expect(expired.status).toBe(401);
    const own = await fetch(url, { headers: { "x-offpeak-node": wallet.address, "x-offpeak-deadline": deadline, "x-offpeak-signature": await wallet.signWithdrawalRead(Number(deadline), coordinator.coordinatorId) } });
    expect(own.status).toBe(200);
    expect(await own.json()).toMatchObject({ terms: TERMS, availableMicroUsd: 0, withdrawals: [] });
  });
});

describe("a coordinator without payouts", () => {
  it("answers withdrawal requests with a sentence saying it pays none", async () => {
    const db = await openDatabase(undefined);
    const coordinator = await startCoordinator({ db, adminToken: "admin-token-for-tests" });
    try {
      const client = new WithdrawalClient({ coordinatorUrl: coordinator.wsUrl, wallet: await randomNodeWallet() });
      expect(await client.withdraw({ to: DEST, amountMicroUsd: 10_000_000 })).toEqual({
        ok: false,
        error: "This coordinator does not pay out withdrawals: its operator has not configured a payout chain.",
      });
      expect((await client.terms()).ok).toBe(false);
    } finally {
      await coordinator.close();
      await db.close();
    }
  });
});
