/**
 * Taking a node's withdrawal request: the signature must be the node's and made for this
 * coordinator (its id, as in the login challenge), the destination an EIP-55 address, the deadline ahead, the nonce new (the same request again answers with the
 * first one's result), the amount at least the minimum, within the day's limit and, with the
 * fee, within the node's available balance. The check of the balance, the debit and the row
 * are one transaction holding the node's balance row, so two requests racing for the same
 * money cannot both pass.
 */
import { randomBytes } from "node:crypto";
import { verifyTypedData } from "viem";
import {
  destinationProblem,
  signedWithdrawalSchema,
  MAX_READ_VALIDITY_SECONDS,
  type SignedWithdrawal,
  type WithdrawalHistory,
  type WithdrawalReply,
  type WithdrawalTerms,
} from "../shared/withdrawal";
import { formatUsd } from "../shared/money";
import { withdrawalReadTypedData, withdrawalTypedData } from "../shared/typed-data";
import { toSafeInteger, type Database, type Queryable } from "./db";
import { startOfUtcDay } from "./ledger";
import { checkTerms } from "./payout-config";
import { microUsdToTokenUnits } from "./token-units";
import { availableOf, insertWithdrawal, withdrawalView, withdrawnSince, type WithdrawalRow } from "./withdrawal-store";

/** A refusal: the HTTP status, a machine code and a sentence for the owner. */
export interface WithdrawalRefusal {
  readonly ok: false;
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly param?: string;
}

/** What a request came to: accepted (201), the earlier identical one (200), or refused. */
export type WithdrawalOutcome = { readonly ok: true; readonly status: 200 | 201; readonly reply: WithdrawalReply } | WithdrawalRefusal;

function refuse(status: number, code: string, message: string, param?: string): WithdrawalRefusal {
  return { ok: false, status, code, message, ...(param ? { param } : {}) };
}

/** A unique-key violation (PostgreSQL's and PGlite's SQLSTATE 23505). */
function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "23505";
}

/** The answer of a signature check; a malformed signature counts as not the node's. */
async function verified(check: () => Promise<boolean>): Promise<boolean> {
  try {
    return await check();
  } catch {
    return false;
  }
}

/** The withdrawal desk of one coordinator, for one set of terms. */
export class Withdrawals {
  constructor(
    private readonly db: Database,
    readonly terms: WithdrawalTerms,
    /** The id nodes sign in their logins: a request or read signed for another coordinator is refused. */
    readonly coordinatorId: string,
    private readonly clock: () => Date = () => new Date(),
  ) {
    checkTerms(terms);
  }

  /** Checks and records a signed request; never throws for a bad request, only for a broken database. */
  async request(body: unknown): Promise<WithdrawalOutcome> {
    const parsed = signedWithdrawalSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.join(".") ?? "";
      return refuse(400, "invalid_body", `Invalid withdrawal request: ${where} ${issue?.message ?? ""}`.trim(), where || undefined);
    }
    const req = parsed.data;
    const problem = destinationProblem(req.to);
    if (problem) return refuse(400, "invalid_destination", problem, "to");
    if (req.chainId !== this.terms.chainId) {
      return refuse(400, "wrong_chain", `This coordinator pays out on chain ${this.terms.chainId}, the request names chain ${req.chainId}.`, "chainId");
    }
    if (req.coordinator !== this.coordinatorId) {
      return refuse(
        401,
        "wrong_coordinator",
        `The request was signed for coordinator ${JSON.stringify(req.coordinator)}, not this one (${JSON.stringify(this.coordinatorId)}): sign it again for this coordinator.`,
        "coordinator",
      );
    }
    const message = {
      to: req.to as `0x${string}`,
      amountMicroUsd: req.amountMicroUsd,
      nonce: req.nonce as `0x${string}`,
      chainId: req.chainId,
      deadline: req.deadline,
      coordinator: req.coordinator,
    };
    const signed = await verified(() =>
      verifyTypedData({ ...withdrawalTypedData(message), address: req.node as `0x${string}`, signature: req.signature as `0x${string}` }),
    );
    if (!signed) {
      return refuse(401, "invalid_signature", "The signature is not the node's: the request was not signed by the wallet key of the node it names.", "signature");
    }
    let tokenAmount: bigint;
    try {
      tokenAmount = microUsdToTokenUnits(req.amountMicroUsd, this.terms.tokenDecimals);
    } catch (error) {
      return refuse(422, "amount_not_payable", `The token cannot pay this amount exactly: ${(error as Error).message}.`, "amountMicroUsd");
    }
    try {
      return await this.db.transaction((tx) => this.record(tx, req, tokenAmount));
    } catch (error) {
      // Two identical requests raced past each other's check: the first one's row stands.
      if (!isUniqueViolation(error)) throw error;
      return (await this.replay(this.db, req)) ?? refuse(409, "nonce_reused", "This nonce was already used.", "nonce");
    }
  }

  private async record(tx: Queryable, req: SignedWithdrawal, tokenAmount: bigint): Promise<WithdrawalOutcome> {
    const now = this.clock();
    // Holding the node's balance row serialises its requests: the checks below see every
    // withdrawal committed before, and none can commit between the check and the debit.
    const available = await availableOf(tx, req.node, true);
    const earlier = await this.replay(tx, req);
    if (earlier) return earlier;
    if (req.deadline <= Math.floor(now.getTime() / 1000)) {
      return refuse(400, "deadline_passed", "The request's deadline has passed: sign a new one.", "deadline");
    }
    const { minimumMicroUsd, dailyLimitMicroUsd, feeMicroUsd } = this.terms;
    if (req.amountMicroUsd < minimumMicroUsd) {
      return refuse(422, "below_minimum", `The smallest withdrawal is ${formatUsd(minimumMicroUsd)}.`, "amountMicroUsd");
    }
    const today = await withdrawnSince(tx, req.node, startOfUtcDay(now));
    if (today + req.amountMicroUsd > dailyLimitMicroUsd) {
      const left = Math.max(0, dailyLimitMicroUsd - today);
      return refuse(
        422,
        "daily_limit",
        `This would pass the daily limit of ${formatUsd(dailyLimitMicroUsd)}: ${formatUsd(left)} can still be withdrawn today (UTC).`,
        "amountMicroUsd",
      );
    }
    if (req.amountMicroUsd + feeMicroUsd > available) {
      return refuse(
        422,
        "insufficient_balance",
        `The available balance is ${formatUsd(available)}; ${formatUsd(req.amountMicroUsd)} plus the ${formatUsd(feeMicroUsd)} network fee is more.`,
        "amountMicroUsd",
      );
    }
    const row = await insertWithdrawal(
      tx,
      {
        id: `wd_${randomBytes(12).toString("base64url")}`,
        nodeAddress: req.node,
        nonce: req.nonce,
        to: req.to,
        amountMicroUsd: req.amountMicroUsd,
        feeMicroUsd,
        tokenAmount,
        chainId: req.chainId,
        tokenAddress: this.terms.tokenAddress,
        deadline: req.deadline,
        signature: req.signature,
      },
      now,
    );
    return { ok: true, status: 201, reply: { withdrawal: withdrawalView(row), replayed: false, availableMicroUsd: available - req.amountMicroUsd - feeMicroUsd } };
  }

  /** The earlier withdrawal with this node and nonce: the same request answers with it, another one is refused. */
  private async replay(q: Queryable, req: SignedWithdrawal): Promise<WithdrawalOutcome | null> {
    const { rows } = await q.query<WithdrawalRow>(`SELECT * FROM withdrawals WHERE node_address = $1 AND nonce = $2`, [req.node.toLowerCase(), req.nonce.toLowerCase()]);
    const row = rows[0];
    if (!row) return null;
    const same =
      row.to_address === req.to &&
      toSafeInteger(row.amount_micro_usd) === req.amountMicroUsd &&
      toSafeInteger(row.chain_id) === req.chainId &&
      toSafeInteger(row.deadline) === req.deadline;
    if (!same) {
      return refuse(409, "nonce_reused", "This nonce was already used for another withdrawal: sign the new request with a new nonce.", "nonce");
    }
    const available = await availableOf(q, req.node, false);
    return { ok: true, status: 200, reply: { withdrawal: withdrawalView(row), replayed: true, availableMicroUsd: available } };
  }

  /**
   * Checks a node's signed read of its own withdrawals (headers x-offpeak-node, -deadline and
   * -signature); the node's address, or the refusal.
   */
  async authenticateRead(node: string | undefined, deadline: string | undefined, signature: string | undefined): Promise<{ ok: true; node: string } | WithdrawalRefusal> {
    if (!node || !deadline || !signature || !/^0x[0-9a-fA-F]{40}$/.test(node) || !/^\d{1,15}$/.test(deadline)) {
      return refuse(401, "missing_signature", "Sign the read: send x-offpeak-node, x-offpeak-deadline and x-offpeak-signature.");
    }
    const until = Number(deadline);
    const now = Math.floor(this.clock().getTime() / 1000);
    if (until <= now) return refuse(401, "deadline_passed", "The signed read has expired: sign a new one.");
    if (until > now + MAX_READ_VALIDITY_SECONDS) return refuse(401, "deadline_too_far", `A signed read may be valid for at most ${MAX_READ_VALIDITY_SECONDS} seconds.`);
    const address = node as `0x${string}`;
    const signed = await verified(() =>
      verifyTypedData({ ...withdrawalReadTypedData(address, until, this.coordinatorId), address, signature: signature as `0x${string}` }),
    );
    if (!signed) {
      return refuse(401, "invalid_signature", `The signature is not the node's, or it was made for another coordinator than this one (${JSON.stringify(this.coordinatorId)}).`);
    }
    return { ok: true, node: node.toLowerCase() };
  }

  /** A node's terms, balance, today's total and withdrawals, newest first (at most `limit`). */
  async history(node: string, limit = 100): Promise<WithdrawalHistory> {
    const { rows } = await this.db.query<WithdrawalRow>(
      `SELECT * FROM withdrawals WHERE node_address = $1 ORDER BY created_at DESC, id DESC LIMIT $2`,
      [node.toLowerCase(), limit],
    );
    return {
      terms: this.terms,
      availableMicroUsd: await availableOf(this.db, node, false),
      withdrawnTodayMicroUsd: await withdrawnSince(this.db, node, startOfUtcDay(this.clock())),
      withdrawals: rows.map(withdrawalView),
    };
  }
}
