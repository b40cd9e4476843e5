/**
 * Test support for withdrawals: the terms of a local test chain, a coordinator paying out on them,
 * node wallets from fixed keys, crediting a node's available account, signed request bodies, and
 * a check that the ledger still sums to zero.
 */
import { randomBytes } from "node:crypto";
import { startCoordinator, type CoordinatorOptions, type RunningCoordinator } from "../../coordinator/coordinator";
import type { KeyStore } from "../../electron/agent/key-store";
import { openWallet, type NodeWallet } from "../../electron/agent/wallet";
import { newWalletSecret, type WalletSecret } from "../../electron/agent/wallet-secret";
import type { SignedWithdrawal, WithdrawalReply, WithdrawalTerms } from "../../shared/withdrawal";
import { openDatabase, toSafeInteger, type Database } from "../../coordinator/db";
import { DEPOSITS_ACCOUNT, nodeAccountId, postTransfer } from "../../coordinator/ledger";

/** Where the tests' withdrawals go: an EIP-55 address the owner controls. */
export const WITHDRAWAL_DESTINATION = "0x90F8bf6A479f320ead074411a4B0e7944Ea8c9C1";

/**
 * The terms of a local test chain (chain 1337, a 6-decimal TUSD token, one confirmation): a $0.10
 * fee, $1 at the least and $50 a day, unless `overrides` say otherwise.
 */
export function testWithdrawalTerms(overrides: Partial<WithdrawalTerms> = {}): WithdrawalTerms {
  return {
    chainId: 1337,
    tokenAddress: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    tokenSymbol: "TUSD",
    tokenDecimals: 6,
    feeMicroUsd: 100_000,
    minimumMicroUsd: 1_000_000,
    dailyLimitMicroUsd: 50_000_000,
    confirmations: 1,
    ...overrides,
  };
}

/** A coordinator that takes withdrawals, and its database. */
export interface WithdrawalCoordinator {
  readonly db: Database;
  readonly coordinator: RunningCoordinator;
  /** Closes the coordinator, then its database. */
  close(): Promise<void>;
}

/**
 * Starts a coordinator that takes withdrawals on `terms`, on a fresh database: `database` is what
 * `openDatabase` takes (PGlite in memory when left out, or a PostgreSQL URL).
 */
export async function startCoordinatorWithWithdrawals(
  terms: WithdrawalTerms,
  options: { database?: string } & Pick<CoordinatorOptions, "coordinatorId" | "clock"> = {},
): Promise<WithdrawalCoordinator> {
  const { database, ...coordinatorOptions } = options;
  const db = await openDatabase(database);
  const coordinator = await startCoordinator({ db, adminToken: "admin-token-for-tests", ...coordinatorOptions, withdrawals: { terms } }).catch(async (error: unknown) => {
    await db.close();
    throw error;
  });
  return {
    db,
    coordinator,
    async close() {
      await coordinator.close();
      await db.close();
    },
  };
}

/** A key store holding one secret in memory. */
export function memoryKeyStore(secret: WalletSecret): KeyStore {
  return { load: async () => secret, save: async () => {}, describe: () => "memory" };
}

/** A node wallet with a new random key. */
export async function randomNodeWallet(): Promise<NodeWallet> {
  return openWallet(memoryKeyStore(newWalletSecret()));
}

/** Puts `microUsd` on the node's available account, as released earnings would. */
export async function creditNode(db: Database, address: string, microUsd: number): Promise<void> {
  await db.transaction((tx) =>
    postTransfer(
      tx,
      `test-credit:${randomBytes(8).toString("hex")}`,
      null,
      [
        { accountId: DEPOSITS_ACCOUNT, amountMicroUsd: -microUsd, kind: "test_credit" },
        { accountId: nodeAccountId(address), amountMicroUsd: microUsd, kind: "test_credit" },
      ],
      new Date(),
    ),
  );
}

/** The balance of one account (0 when it has none). */
export async function accountBalance(db: Database, accountId: string): Promise<number> {
  const { rows } = await db.query<{ b: unknown }>(`SELECT balance_micro_usd AS b FROM balances WHERE account_id = $1`, [accountId]);
  return toSafeInteger(rows[0]?.b);
}

/** Every balance summed, and every ledger entry summed: both must be 0 in a double-entry ledger. */
export async function ledgerSums(db: Database): Promise<{ balances: number; entries: number }> {
  const b = await db.query<{ s: unknown }>(`SELECT COALESCE(SUM(balance_micro_usd), 0) AS s FROM balances`);
  const e = await db.query<{ s: unknown }>(`SELECT COALESCE(SUM(amount_micro_usd), 0) AS s FROM ledger_entries`);
  return { balances: toSafeInteger(b.rows[0]?.s), entries: toSafeInteger(e.rows[0]?.s) };
}

/**
 * A withdrawal request signed by `signer` for the coordinator `desk` names (its id and chain),
 * naming `node` (the signer unless overridden).
 */
export async function signedRequest(
  signer: NodeWallet,
  desk: Pick<WithdrawalTerms, "chainId"> & { readonly coordinatorId: string },
  fields: { to: string; amountMicroUsd: number; deadline: number; nonce?: `0x${string}`; chainId?: number; node?: string },
): Promise<SignedWithdrawal> {
  const message = {
    to: fields.to as `0x${string}`,
    amountMicroUsd: fields.amountMicroUsd,
    nonce: fields.nonce ?? (`0x${randomBytes(32).toString("hex")}` as `0x${string}`),
    chainId: fields.chainId ?? desk.chainId,
    deadline: fields.deadline,
    coordinator: desk.coordinatorId,
  };
  const signature = await signer.signWithdrawal(message);
  return { node: fields.node ?? signer.address, ...message, signature };
}

/** POSTs a body to the coordinator's withdrawal route; the status and JSON answer. */
export async function postWithdrawal(baseUrl: string, body: unknown): Promise<{ status: number; body: Partial<WithdrawalReply> & { error?: { code: string; message: string } } }> {
  const response = await fetch(`${baseUrl}/v1/nodes/withdrawals`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}
