/**
 * Pays requested withdrawals out of the treasury, one ERC-20 transfer each, and follows every
 * transfer until it is confirmed or failed:
 *
 *   requested → signed   the transfer is signed and stored (hash, nonce, raw bytes) BEFORE it
 *                        is broadcast, so a restart sends the very same transaction again and
 *                        can never pay twice with a second one;
 *   signed    → sent     the chain accepted it (or already has it);
 *   sent      → confirmed  its block has `confirmations` blocks on top (itself included);
 *   any       → failed   the token refused it or it reverted: the node gets amount and fee back.
 *
 * Every step is its own transaction that moves a row only from the state it read, so a worker
 * stopped between any two steps, or two workers on one database, leave each withdrawal paid
 * at most once and never lost. Signing is serialised by an advisory lock: the treasury's
 * nonces are handed out one at a time, and a new transfer is signed only when none is left
 * unbroadcast.
 */
import type { Address, Hex } from "viem";
import type { Logger } from "../shared/logger";
import type { WithdrawalTerms } from "../shared/withdrawal";
import { toSafeInteger, type Database } from "./db";
import { chainReason, ChainRefusal, isUnreachable, type PayoutChainClient } from "./payout-chain";
import { failAndRefund, type WithdrawalRow } from "./withdrawal-store";

/** Lock id that serialises the signing of treasury transfers across coordinators. */
const SIGNING_LOCK_ID = 720_913_552;

/** Points where a test stops the worker, as a crash would. */
export interface PayoutStepHooks {
  /** After a transfer was signed and stored, before it is broadcast. */
  afterSign?(withdrawalId: string): void | Promise<void>;
  /** After a transfer was broadcast, before that is recorded. */
  afterBroadcast?(withdrawalId: string): void | Promise<void>;
}

export interface PayoutWorkerOptions {
  readonly db: Database;
  readonly chain: PayoutChainClient;
  readonly terms: WithdrawalTerms;
  readonly logger: Logger;
  readonly clock?: () => Date;
  /** Time between rounds when running on its own (default 3 s). */
  readonly pollMs?: number;
  /** Most new withdrawals signed in one round (default 10). */
  readonly batch?: number;
  readonly hooks?: PayoutStepHooks;
}

/** The payout worker. `tick()` runs one round; `start()` runs rounds until `stop()`. */
export class PayoutWorker {
  private readonly clock: () => Date;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly options: PayoutWorkerOptions) {
    this.clock = options.clock ?? (() => new Date());
  }

  /**
   * Throws when the RPC serves another chain than the terms name, or the token's decimals differ
   * from the configured ones (which would pay a wrong amount).
   */
  async checkChain(): Promise<void> {
    const { chain, terms } = this.options;
    const chainId = await chain.chainId();
    if (chainId !== terms.chainId) throw new Error(`the payout RPC serves chain ${chainId}, but withdrawals are signed for chain ${terms.chainId}`);
    const decimals = await chain.tokenDecimals();
    if (decimals !== terms.tokenDecimals) throw new Error(`the payout token has ${decimals} decimals, the configuration says ${terms.tokenDecimals}`);
  }

  /** Runs rounds until stopped (call {@link checkChain} first). */
  start(): void {
    this.stopped = false;
    this.options.logger.info("payout worker started", { chainId: this.options.terms.chainId, token: this.options.terms.tokenAddress, treasury: this.options.chain.treasury });
    this.schedule(0);
  }

  /** Stops after the round in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.tick()
        .catch((error: unknown) => this.options.logger.warn("payout round failed; retrying", { reason: chainReason(error) }))
        .finally(() => {
          this.running = null;
          this.schedule(this.options.pollMs ?? 3_000);
        });
    }, delayMs);
  }

  /** One round: send what was signed, follow what was sent, then sign and send new requests. */
  async tick(): Promise<void> {
    await this.broadcastSigned();
    await this.followSent();
    await this.payRequested();
  }

  /** Broadcasts every stored, unsent transfer (after a restart, the very same bytes). */
  async broadcastSigned(): Promise<void> {
    const { rows } = await this.options.db.query<WithdrawalRow>(`SELECT * FROM withdrawals WHERE status = 'signed' ORDER BY tx_nonce`);
    for (const row of rows) await this.broadcast(row);
  }

  /** Signs and sends new withdrawals, oldest first, one at a time; stops at the first that could not be sent. */
  async payRequested(): Promise<void> {
    for (let i = 0; i < (this.options.batch ?? 10) && !this.stopped; i++) {
      const signed = await this.signNext();
      if (signed === "none") return;
      if (signed === "failed") continue;
      await this.options.hooks?.afterSign?.(signed.id);
      if (!(await this.broadcast(signed))) return;
    }
  }

  /** Signs the oldest requested withdrawal and stores the transaction; "failed" when it was refused and refunded. */
  private async signNext(): Promise<WithdrawalRow | "none" | "failed"> {
    const { db, chain, terms } = this.options;
    return db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(${SIGNING_LOCK_ID})`);
      // A transfer left unbroadcast goes first: signing past it could leave a nonce gap.
      const waiting = await tx.query(`SELECT 1 FROM withdrawals WHERE status = 'signed' LIMIT 1`);
      if (waiting.rows.length > 0) return "none";
      const { rows } = await tx.query<WithdrawalRow>(`SELECT * FROM withdrawals WHERE status = 'requested' ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED`);
      const row = rows[0];
      if (!row) return "none";
      const now = this.clock();
      if (toSafeInteger(row.chain_id) !== terms.chainId || row.token_address.toLowerCase() !== terms.tokenAddress.toLowerCase()) {
        await failAndRefund(tx, row.id, "the payout chain or token changed after the request; nothing was paid", ["requested"], now);
        return "failed";
      }
      const inFlight = await tx.query<{ n: unknown }>(`SELECT MAX(tx_nonce) AS n FROM withdrawals WHERE status IN ('signed', 'sent')`);
      const last = inFlight.rows[0]?.n;
      const nonce = Math.max(await chain.pendingNonce(), last === null || last === undefined ? 0 : toSafeInteger(last) + 1);
      let signed;
      try {
        signed = await chain.signTransfer(row.to_address as Address, BigInt(row.token_amount), nonce);
      } catch (error) {
        if (!(error instanceof ChainRefusal)) throw error;
        await failAndRefund(tx, row.id, error.message, ["requested"], now);
        this.options.logger.warn("withdrawal refused by the token; refunded", { id: row.id, reason: error.message });
        return "failed";
      }
      const updated = await tx.query<WithdrawalRow>(
        `UPDATE withdrawals SET status = 'signed', tx_nonce = $2, tx_hash = $3, raw_tx = $4, updated_at = $5 WHERE id = $1 AND status = 'requested' RETURNING *`,
        [row.id, nonce, signed.hash, signed.raw, now.toISOString()],
      );
      return updated.rows[0] ?? "none";
    });
  }

  /** Sends a stored transfer and records it as sent; false when the chain could not be reached. */
  private async broadcast(row: WithdrawalRow): Promise<boolean> {
    const { chain, db, logger } = this.options;
    const hash = row.tx_hash as Hex;
    try {
      await chain.broadcast(row.raw_tx as Hex);
    } catch (error) {
      if (!(error instanceof ChainRefusal)) {
        logger.warn("could not reach the payout chain; the signed transfer will be sent again", { id: row.id, reason: chainReason(error) });
        return false;
      }
      // Sent before (a restart between broadcast and record): the chain already has it.
      if (!(await chain.knows(hash))) {
        const mined = await chain.minedNonce();
        // Only a transfer that can never be mined is refunded: its nonce went to another
        // transaction, or the chain refused it and no later one will carry its nonce but ours.
        const reason =
          mined > toSafeInteger(row.tx_nonce)
            ? `the treasury's nonce ${toSafeInteger(row.tx_nonce)} was used by another transaction; nothing was paid`
            : `the chain refused the transfer: ${error.message}`;
        await db.transaction((tx) => failAndRefund(tx, row.id, reason, ["signed"], this.clock()));
        logger.warn("withdrawal transfer refused by the chain; refunded", { id: row.id, reason });
        return true;
      }
    }
    await this.options.hooks?.afterBroadcast?.(row.id);
    await db.query(`UPDATE withdrawals SET status = 'sent', updated_at = $2 WHERE id = $1 AND status = 'signed'`, [row.id, this.clock().toISOString()]);
    logger.info("withdrawal sent", { id: row.id, txHash: hash });
    return true;
  }

  /** Confirms, fails or re-sends each sent transfer according to the chain. */
  async followSent(): Promise<void> {
    const { db, chain, terms, logger } = this.options;
    const { rows } = await db.query<WithdrawalRow>(`SELECT * FROM withdrawals WHERE status = 'sent' ORDER BY tx_nonce`);
    for (const row of rows) {
      const hash = row.tx_hash as Hex;
      const receipt = await chain.receipt(hash);
      const now = this.clock().toISOString();
      if (receipt === null) {
        // Dropped from the pool (a node restart, an eviction): the same bytes go out again.
        if (!(await chain.knows(hash))) {
          await chain.broadcast(row.raw_tx as Hex).catch((error: unknown) => {
            if (isUnreachable(error)) throw error;
            logger.warn("a sent withdrawal is not on chain and could not be sent again", { id: row.id, reason: chainReason(error) });
          });
        }
        continue;
      }
      if (!receipt.success) {
        const reason = `the token transfer reverted on chain (transaction ${hash}); nothing was paid`;
        await db.transaction((tx) => failAndRefund(tx, row.id, reason, ["sent"], this.clock()));
        logger.warn("withdrawal transfer reverted; refunded", { id: row.id });
        continue;
      }
      const confirmed = receipt.confirmations >= terms.confirmations;
      await db.query(`UPDATE withdrawals SET status = $2, block_number = $3, updated_at = $4 WHERE id = $1 AND status = 'sent'`, [
        row.id,
        confirmed ? "confirmed" : "sent",
        receipt.blockNumber.toString(),
        now,
      ]);
      if (confirmed) logger.info("withdrawal confirmed", { id: row.id, txHash: hash, block: receipt.blockNumber.toString() });
    }
  }
}
