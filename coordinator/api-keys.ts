/**
 * Consumer API keys: random `sk-offpeak-…` secrets, stored only as their sha256, each with its
 * own ledger account funded with the credit bought.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Database } from "./db";
import { consumerAccountId, DEPOSITS_ACCOUNT, ensureAccount, postTransfer } from "./ledger";

/** Prefix of every consumer key. */
export const API_KEY_PREFIX = "sk-offpeak-";

/** sha256 of a secret, hex. */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/** Compares two secrets in constant time (whatever their lengths). */
export function secretsEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash("sha256").update(a).digest(), createHash("sha256").update(b).digest());
}

/** Creates a consumer key funded with `creditMicroUsd`; the key is returned once and never stored. */
export async function createApiKey(
  db: Database,
  creditMicroUsd: number,
  name: string | undefined,
  at: Date = new Date(),
): Promise<{ id: string; key: string }> {
  if (!Number.isSafeInteger(creditMicroUsd) || creditMicroUsd < 0) throw new RangeError("credit must be a non-negative safe integer of µUSD");
  const id = `key_${randomBytes(9).toString("base64url")}`;
  const key = `${API_KEY_PREFIX}${randomBytes(32).toString("base64url")}`;
  const account = consumerAccountId(id);
  await db.transaction(async (tx) => {
    await ensureAccount(tx, account);
    await tx.query(`INSERT INTO api_keys (id, key_hash, name, account_id, created_at) VALUES ($1, $2, $3, $4, $5)`, [
      id,
      hashSecret(key),
      name ?? null,
      account,
      at.toISOString(),
    ]);
    await postTransfer(
      tx,
      `deposit:${id}`,
      null,
      [
        { accountId: DEPOSITS_ACCOUNT, amountMicroUsd: -creditMicroUsd, kind: "deposit" },
        { accountId: account, amountMicroUsd: creditMicroUsd, kind: "deposit" },
      ],
      at,
    );
  });
  return { id, key };
}

/** Finds the consumer behind a key, or null when the key is unknown or revoked. */
export async function findApiKey(db: Database, key: string): Promise<{ id: string; accountId: string } | null> {
  if (!key.startsWith(API_KEY_PREFIX) || key.length > 200) return null;
  const { rows } = await db.query<{ id: string; account_id: string }>(
    `SELECT id, account_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL`,
    [hashSecret(key)],
  );
  const row = rows[0];
  return row ? { id: row.id, accountId: row.account_id } : null;
}
