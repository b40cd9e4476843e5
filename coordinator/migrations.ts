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
  // 10. Node credits: one row per settled job, the node's share of it. A credit lands pending
  //     (account node-pending:<address>) and becomes available (node:<address>) once its
  //     verification window has passed; while the node is on hold it sits in node-held:<address>.
  //     The foreign key makes every credit rest on a receipt, the primary key credits a job once.
  `CREATE TABLE node_credits (
    job_id TEXT PRIMARY KEY REFERENCES receipts(job_id),
    node_address TEXT NOT NULL,
    amount_micro_usd BIGINT NOT NULL CHECK (amount_micro_usd >= 0),
    state TEXT NOT NULL CHECK (state IN ('pending', 'held', 'available')),
    credited_at TIMESTAMPTZ NOT NULL,
    available_at TIMESTAMPTZ NOT NULL,
    released_at TIMESTAMPTZ
  )`,
  `CREATE INDEX node_credits_due ON node_credits (available_at) WHERE state = 'pending'`,
  `CREATE INDEX node_credits_node_time ON node_credits (node_address, credited_at)`,
  // 13. Holds: a node whose pending credits must not become available (quarantine, dispute).
  `CREATE TABLE node_holds (
    node_address TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    held_at TIMESTAMPTZ NOT NULL
  )`,
  // 14. Credits made before the pending stage existed went straight to node:<address>: record
  //     them as available so every node credit has its row.
  `INSERT INTO node_credits (job_id, node_address, amount_micro_usd, state, credited_at, available_at, released_at)
   SELECT e.job_id, r.node_address, e.amount_micro_usd, 'available', e.created_at, e.created_at, e.created_at
   FROM ledger_entries e JOIN receipts r ON r.job_id = e.job_id
   WHERE e.kind = 'job_earning' AND e.account_id LIKE 'node:%' AND e.amount_micro_usd >= 0
   ON CONFLICT (job_id) DO NOTHING`,
  // 15. Withdrawals: a node's signed request to pay its available balance out as an ERC-20
  //     transfer. The row and its ledger debit are written in one transaction; (node, nonce) is
  //     unique so a request is paid at most once; the signed transaction (raw_tx, tx_hash,
  //     tx_nonce) is stored before it is broadcast, so a restart sends the same one again.
  `CREATE TABLE withdrawals (
    id TEXT PRIMARY KEY,
    node_address TEXT NOT NULL,
    nonce TEXT NOT NULL,
    to_address TEXT NOT NULL,
    amount_micro_usd BIGINT NOT NULL CHECK (amount_micro_usd > 0),
    fee_micro_usd BIGINT NOT NULL CHECK (fee_micro_usd >= 0),
    token_amount TEXT NOT NULL,
    chain_id BIGINT NOT NULL,
    token_address TEXT NOT NULL,
    deadline BIGINT NOT NULL,
    signature TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('requested', 'signed', 'sent', 'confirmed', 'failed')),
    tx_nonce BIGINT,
    tx_hash TEXT UNIQUE,
    raw_tx TEXT,
    block_number BIGINT,
    failure_reason TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (node_address, nonce)
  )`,
  `CREATE INDEX withdrawals_status_time ON withdrawals (status, created_at)`,
  `CREATE INDEX withdrawals_node_time ON withdrawals (node_address, created_at)`,
  // List prices per model, set by the admin (a model without a row has the default price). A
  // node may ask its own price in its status; consumers pay the price of the node that served.
  `CREATE TABLE model_prices (
    model TEXT PRIMARY KEY,
    input_micro_usd_per_mtok BIGINT NOT NULL CHECK (input_micro_usd_per_mtok >= 0),
    output_micro_usd_per_mtok BIGINT NOT NULL CHECK (output_micro_usd_per_mtok >= 0),
    updated_at TIMESTAMPTZ NOT NULL
  )`,
  // Parts of a job that continued on another node after its first node broke off mid-answer:
  // each part is a row of its own (id "<job>.p<n>") under its parent, with its own receipt and
  // credit, so the once-only guards on receipts and credits hold per (job, part).
  `ALTER TABLE jobs ADD COLUMN parent_job_id TEXT REFERENCES jobs(id)`,
  `ALTER TABLE jobs ADD COLUMN part INTEGER NOT NULL DEFAULT 0`,
  `CREATE UNIQUE INDEX jobs_parent_part ON jobs (parent_job_id, part) WHERE parent_job_id IS NOT NULL`,
  // Reputation: verification results and reliability per node, and its quarantine.
  `CREATE TABLE node_reputation (
    address TEXT PRIMARY KEY,
    checks_passed BIGINT NOT NULL DEFAULT 0,
    checks_failed BIGINT NOT NULL DEFAULT 0,
    jobs_completed BIGINT NOT NULL DEFAULT 0,
    jobs_broken BIGINT NOT NULL DEFAULT 0,
    quarantined_at TIMESTAMPTZ,
    quarantine_reason TEXT,
    updated_at TIMESTAMPTZ NOT NULL
  )`,
  // Verification: every known-answer probe and re-run, with what the node answered and the
  // verdict (pending while the expected answer is still being learned).
  `CREATE TABLE verification_checks (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('probe', 'rerun')),
    job_id TEXT NOT NULL,
    node_address TEXT NOT NULL,
    model TEXT NOT NULL,
    backend TEXT NOT NULL,
    prompt_key TEXT NOT NULL,
    output_hash TEXT,
    completion_tokens BIGINT,
    verdict TEXT NOT NULL CHECK (verdict IN ('pass', 'fail', 'pending', 'void')),
    reason TEXT,
    created_at TIMESTAMPTZ NOT NULL
  )`,
  `CREATE INDEX verification_checks_node_time ON verification_checks (node_address, created_at)`,
  `CREATE INDEX verification_checks_prompt ON verification_checks (model, backend, prompt_key)`,
  // Per-key request rate (requests per minute); NULL takes the coordinator's default.
  `ALTER TABLE api_keys ADD COLUMN rate_per_minute INTEGER CHECK (rate_per_minute > 0)`,
  // Refunds to consumers for work of a node caught cheating: a credit still pending or held can
  // be reversed (state 'refunded'); one row per refunded job part, its primary key (and the
  // unique job + part) refunding a part at most once. The consumer gets back what it was
  // charged: the node's share and the platform's fee.
  `DO $$ BEGIN
    ALTER TABLE node_credits DROP CONSTRAINT node_credits_state_check;
    ALTER TABLE node_credits ADD CONSTRAINT node_credits_state_check CHECK (state IN ('pending', 'held', 'available', 'refunded'));
    CREATE TABLE job_refunds (
      job_id TEXT PRIMARY KEY REFERENCES node_credits(job_id),
      parent_job_id TEXT NOT NULL REFERENCES jobs(id),
      part INTEGER NOT NULL CHECK (part >= 0),
      consumer_account_id TEXT NOT NULL REFERENCES accounts(id),
      node_address TEXT NOT NULL,
      amount_micro_usd BIGINT NOT NULL CHECK (amount_micro_usd >= 0),
      node_micro_usd BIGINT NOT NULL CHECK (node_micro_usd >= 0),
      fee_micro_usd BIGINT NOT NULL CHECK (fee_micro_usd >= 0),
      cause TEXT NOT NULL CHECK (cause IN ('quarantine', 'rerun')),
      reason TEXT NOT NULL,
      created_at TIMESTAMPTZ NOT NULL,
      UNIQUE (parent_job_id, part),
      CHECK (amount_micro_usd = node_micro_usd + fee_micro_usd)
    );
    CREATE INDEX job_refunds_consumer_time ON job_refunds (consumer_account_id, created_at);
    CREATE INDEX job_refunds_node ON job_refunds (node_address);
  END $$`,
  // Several coordinator instances on one PostgreSQL (cluster.ts): each instance's beat, the
  // routing view of the nodes connected to each, and messages between instances too big for a
  // NOTIFY payload (deleted as they are read).
  `CREATE TABLE cluster_instances (
    instance_id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    heartbeat_at TIMESTAMPTZ NOT NULL
  )`,
  `CREATE TABLE cluster_nodes (
    node_id TEXT PRIMARY KEY,
    instance_id TEXT NOT NULL,
    node JSONB NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
  )`,
  `CREATE INDEX cluster_nodes_instance ON cluster_nodes (instance_id)`,
  `CREATE TABLE cluster_messages (
    id BIGSERIAL PRIMARY KEY,
    body TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
  )`,
  // Owners' appeals against a quarantine, signed with the node's key: at most one open per node
  // (the partial unique index), a signed appeal filed once (node + signing time), and the
  // operator's decision with its reason. An open appeal pauses the forfeiture of held earnings.
  `DO $$ BEGIN
    CREATE TABLE node_appeals (
      id BIGSERIAL PRIMARY KEY,
      node_address TEXT NOT NULL,
      statement TEXT NOT NULL CHECK (char_length(statement) BETWEEN 1 AND 1000),
      signed_at BIGINT NOT NULL,
      signature TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('open', 'upheld', 'rejected')),
      decision_reason TEXT,
      quarantined_at TIMESTAMPTZ NOT NULL,
      created_at TIMESTAMPTZ NOT NULL,
      decided_at TIMESTAMPTZ,
      UNIQUE (node_address, signed_at),
      CHECK ((status = 'open') = (decided_at IS NULL))
    );
    CREATE UNIQUE INDEX node_appeals_one_open ON node_appeals (node_address) WHERE status = 'open';
    CREATE INDEX node_appeals_node_time ON node_appeals (node_address, created_at);
  END $$`,
  // The network's own name, made once per database: what nodes sign logins, withdrawals and
  // reads for, the same on every coordinator instance of the network and different from every
  // other network (a listen URL is neither).
  `CREATE TABLE network_identity (
    singleton BOOLEAN PRIMARY KEY DEFAULT true CHECK (singleton),
    id TEXT NOT NULL
  )`,
  `INSERT INTO network_identity (id) VALUES ('offpeak:' || gen_random_uuid()::text)`,
];
