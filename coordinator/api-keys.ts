/**
 * Consumer API keys: random `sk-offpeak-…` secrets, stored only as their sha256, each with its
 * own ledger account funded with the credit bought.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { toSafeInteger, type Database } from "./db";
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
  ratePerMinute: number | null = null,
): Promise<{ id: string; key: string }> {
  if (!Number.isSafeInteger(creditMicroUsd) || creditMicroUsd < 0) throw new RangeError("credit must be a non-negative safe integer of µUSD");
  if (ratePerMinute !== null && (!Number.isSafeInteger(ratePerMinute) || ratePerMinute <= 0)) throw new RangeError("a rate must be a positive integer of requests per minute");
  const id = `key_${randomBytes(9).toString("base64url")}`;
  const key = `${API_KEY_PREFIX}${randomBytes(32).toString("base64url")}`;
  const account = consumerAccountId(id);
  await db.transaction(async (tx) => {
    await ensureAccount(tx, account);
    await tx.query(`INSERT INTO api_keys (id, key_hash, name, account_id, created_at, rate_per_minute) VALUES ($1, $2, $3, $4, $5, $6)`, [
      id,
      hashSecret(key),
      name ?? null,
      account,
      at.toISOString(),
      ratePerMinute,
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

/** The consumer behind a key. */
export interface ApiKeyOwner {
  readonly id: string;
  readonly accountId: string;
  /** Requests per minute this key may make; null takes the coordinator's default. */
  readonly ratePerMinute: number | null;
}

/**
 * How long a looked-up key is trusted without asking the database again. Every consumer request
 * looks its key up; a revocation or rate change made through this process clears the cache at
 * once, one made through another coordinator sharing the database takes effect within this time.
 */
export const API_KEY_CACHE_MS = 2_000;
const API_KEY_CACHE_MAX = 10_000;
const keyCache = new WeakMap<Database, Map<string, { owner: ApiKeyOwner; until: number }>>();

/** Forgets every cached key of `db` (after a key was revoked or changed). */
function forgetKeys(db: Database): void {
  keyCache.get(db)?.clear();
}

/** Finds the consumer behind a key, or null when the key is unknown or revoked. */
export async function findApiKey(db: Database, key: string): Promise<ApiKeyOwner | null> {
  if (!key.startsWith(API_KEY_PREFIX) || key.length > 200) return null;
  const hash = hashSecret(key);
  let cache = keyCache.get(db);
  const hit = cache?.get(hash);
  const now = performance.now();
  if (hit && hit.until > now) return hit.owner;
  const { rows } = await db.query<{ id: string; account_id: string; rate_per_minute: number | null }>(
    `SELECT id, account_id, rate_per_minute FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL`,
    [hash],
  );
  const row = rows[0];
  if (!row) {
    cache?.delete(hash);
    return null;
  }
  const owner = { id: row.id, accountId: row.account_id, ratePerMinute: row.rate_per_minute === null ? null : Number(row.rate_per_minute) };
  if (!cache) keyCache.set(db, (cache = new Map()));
  if (cache.size >= API_KEY_CACHE_MAX) cache.clear();
  cache.set(hash, { owner, until: now + API_KEY_CACHE_MS });
  return owner;
}

/** A key as the admin sees it (never the key itself: only its hash is stored). */
export interface ApiKeyView {
  readonly id: string;
  readonly name: string | null;
  readonly createdAt: string;
  readonly revokedAt: string | null;
  readonly ratePerMinute: number | null;
  readonly balanceMicroUsd: number;
  readonly reservedMicroUsd: number;
}

/** Every key, newest first, or one key by id. */
export async function listApiKeys(db: Database, id?: string): Promise<ApiKeyView[]> {
  const { rows } = await db.query<{ id: string; name: string | null; created_at: Date | string; revoked_at: Date | string | null; rate_per_minute: number | null; b: unknown; r: unknown }>(
    `SELECT k.id, k.name, k.created_at, k.revoked_at, k.rate_per_minute, b.balance_micro_usd AS b, b.reserved_micro_usd AS r
     FROM api_keys k LEFT JOIN balances b ON b.account_id = k.account_id
     WHERE ($1::text IS NULL OR k.id = $1) ORDER BY k.created_at DESC, k.id`,
    [id ?? null],
  );
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    createdAt: new Date(r.created_at).toISOString(),
    revokedAt: r.revoked_at === null ? null : new Date(r.revoked_at).toISOString(),
    ratePerMinute: r.rate_per_minute === null ? null : Number(r.rate_per_minute),
    balanceMicroUsd: toSafeInteger(r.b),
    reservedMicroUsd: toSafeInteger(r.r),
  }));
}

/** Revokes a key (its balance stays in the ledger); false when it is unknown or already revoked. */
export async function revokeApiKey(db: Database, id: string, at: Date): Promise<boolean> {
  const { rows } = await db.query(`UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING id`, [id, at.toISOString()]);
  forgetKeys(db);
  return rows.length > 0;
}

/** Adds credit to a key's account; false when the key is unknown or revoked. */
export async function topUpApiKey(db: Database, id: string, amountMicroUsd: number, at: Date): Promise<boolean> {
  if (!Number.isSafeInteger(amountMicroUsd) || amountMicroUsd <= 0) throw new RangeError("a top-up must be a positive safe integer of µUSD");
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ account_id: string }>(`SELECT account_id FROM api_keys WHERE id = $1 AND revoked_at IS NULL FOR UPDATE`, [id]);
    const account = rows[0]?.account_id;
    if (!account) return false;
    await postTransfer(
      tx,
      `deposit:${id}:${randomUUID()}`,
      null,
      [
        { accountId: DEPOSITS_ACCOUNT, amountMicroUsd: -amountMicroUsd, kind: "deposit" },
        { accountId: account, amountMicroUsd, kind: "deposit" },
      ],
      at,
    );
    return true;
  });
}

/** Sets a key's name and/or rate (null rate: the default); false when the key is unknown. */
export async function updateApiKey(db: Database, id: string, change: { name?: string | null; ratePerMinute?: number | null }): Promise<boolean> {
  const { rows } = await db.query(
    `UPDATE api_keys SET name = CASE WHEN $2 THEN $3 ELSE name END, rate_per_minute = CASE WHEN $4 THEN $5::integer ELSE rate_per_minute END
     WHERE id = $1 RETURNING id`,
    [id, change.name !== undefined, change.name ?? null, change.ratePerMinute !== undefined, change.ratePerMinute ?? null],
  );
  forgetKeys(db);
  return rows.length > 0;
}
