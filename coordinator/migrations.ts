/**
 * The coordinator's schema, as an ordered list of SQL statements. Statement i has version i + 1;
 * `schema_migrations` records which ones a database has. Only append: never edit or reorder.
 * One dialect for PGlite and PostgreSQL; money columns are BIGINT micro-USD.
 */
export const MIGRATIONS: readonly string[] = [
  // 1. Accounts: consumers (one per API key), nodes (one per wallet address), the platform,
  //    and the external source of deposits (whose balance goes negative as credit is bought).
  `CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('consumer', 'node', 'platform', 'external')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
  )`,
  // 2. Consumer API keys: only the sha256 of the key is stored.
  `CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE,
    name TEXT,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at TIMESTAMPTZ
  )`,
  // 3. Double-entry ledger: the entries of one transfer (txn_id) sum to zero.
  `CREATE TABLE ledger_entries (
    id BIGSERIAL PRIMARY KEY,
    txn_id TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    amount_micro_usd BIGINT NOT NULL,
    job_id TEXT,
    kind TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX ledger_entries_account_time ON ledger_entries (account_id, created_at)`,
  `CREATE INDEX ledger_entries_job ON ledger_entries (job_id)`,
  // 6. Balances: the running sum of each account's entries, updated in the same transaction as
  //    the entries; `reserved` holds the worst-case cost of the account's jobs in flight.
  `CREATE TABLE balances (
    account_id TEXT PRIMARY KEY REFERENCES accounts(id),
    balance_micro_usd BIGINT NOT NULL DEFAULT 0,
    reserved_micro_usd BIGINT NOT NULL DEFAULT 0 CHECK (reserved_micro_usd >= 0)
  )`,
  // 7. Jobs: one row per consumer request, whatever node(s) served it.
  `CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    consumer_account_id TEXT NOT NULL REFERENCES accounts(id),
    model TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'settled', 'failed', 'disputed', 'abandoned')),
    reserved_micro_usd BIGINT NOT NULL,
    node_address TEXT,
    cost_micro_usd BIGINT,
    prompt_tokens BIGINT,
    completion_tokens BIGINT,
    detail TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at TIMESTAMPTZ
  )`,
  // 8. Receipts: the node's signed bill; the primary key makes a job creditable only once.
  `CREATE TABLE receipts (
    job_id TEXT PRIMARY KEY REFERENCES jobs(id),
    node_address TEXT NOT NULL,
    model TEXT NOT NULL,
    prompt_tokens BIGINT NOT NULL,
    completion_tokens BIGINT NOT NULL,
    output_hash TEXT NOT NULL,
    signature TEXT NOT NULL,
    finish_reason TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
  )`,
  // 9. Models any node has ever advertised ("known" models: unknown ones are a 404).
  `CREATE TABLE models (
    id TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    context_size INTEGER NOT NULL,
    demo BOOLEAN NOT NULL,
    first_seen TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen TIMESTAMPTZ NOT NULL DEFAULT now()
  )`,
];
