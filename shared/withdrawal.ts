/**
 * Withdrawals as the node, the coordinator and the UIs see them: the signed request a node
 * sends, the terms the coordinator pays out on, and a withdrawal's record. Amounts are integer
 * micro-USD; addresses are EVM addresses, destinations EIP-55 checksummed.
 */
import { getAddress } from "viem";
import { z } from "zod";

/** Where a withdrawal stands: asked for, transaction signed, broadcast, confirmed on chain, or failed (and refunded). */
export const withdrawalStatusSchema = z.enum(["requested", "signed", "sent", "confirmed", "failed"]);
export type WithdrawalStatus = z.infer<typeof withdrawalStatusSchema>;

const hexAddress = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x address of 40 hex digits");
const microUsd = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** Why `text` is not a destination a payout may go to, or null when it is one. */
export function destinationProblem(text: string): string | null {
  if (!/^0x[0-9a-fA-F]{40}$/.test(text)) return "Enter an address: 0x followed by 40 hexadecimal digits.";
  if (getAddress(text) !== text) {
    const letters = text.slice(2).replace(/[0-9]/g, "");
    if (letters === letters.toLowerCase() || letters === letters.toUpperCase()) {
      return "Write the address with its EIP-55 capitals (copy it from your wallet app): an address without them cannot be checked for typos.";
    }
    return "The address's capitals do not match its EIP-55 checksum: it has a typo.";
  }
  if (/^0x0{40}$/.test(text)) return "The zero address burns whatever is sent to it.";
  return null;
}

/** True when `text` is an EIP-55 checksummed address other than the zero address. */
export function isChecksummedDestination(text: string): boolean {
  return destinationProblem(text) === null;
}

/** What the owner asks for: where to, how much (what arrives, before nothing else is taken from it). */
export const withdrawalAskSchema = z.object({
  to: z.string().min(1).max(100),
  amountMicroUsd: microUsd.min(1),
});
export type WithdrawalAsk = z.infer<typeof withdrawalAskSchema>;

/** The EIP-712 message a node signs to withdraw (see shared/typed-data.ts). */
export interface WithdrawalMessage {
  readonly to: `0x${string}`;
  readonly amountMicroUsd: number;
  /** 32 random bytes, 0x-hex: a request is paid at most once per node and nonce. */
  readonly nonce: `0x${string}`;
  readonly chainId: number;
  /** Unix seconds after which the coordinator refuses the request. */
  readonly deadline: number;
  /** The id of the coordinator the request is meant for: any other one refuses it. */
  readonly coordinator: string;
}

/** The body of `POST /v1/nodes/withdrawals`: the message, who signed it and the signature. */
export const signedWithdrawalSchema = z.object({
  node: hexAddress,
  to: z.string().min(1).max(100),
  amountMicroUsd: microUsd.min(1),
  nonce: z.string().regex(/^0x[0-9a-fA-F]{64}$/, "must be 32 bytes of 0x hex"),
  chainId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  deadline: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  coordinator: z.string().min(1).max(200),
  signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, "must be a 65-byte 0x hex signature"),
});
export type SignedWithdrawal = z.infer<typeof signedWithdrawalSchema>;

/** The terms a coordinator pays out on. */
export const withdrawalTermsSchema = z.object({
  chainId: z.number().int().positive(),
  tokenAddress: hexAddress,
  tokenSymbol: z.string(),
  tokenDecimals: z.number().int().min(0).max(36),
  /** Taken from the balance on top of the amount, for the network's gas. */
  feeMicroUsd: microUsd,
  minimumMicroUsd: microUsd,
  /** Most a node may withdraw in one UTC day (amounts, fees not counted). */
  dailyLimitMicroUsd: microUsd,
  /** Blocks on top of the transfer's before it counts as confirmed. */
  confirmations: z.number().int().positive(),
});
export type WithdrawalTerms = z.infer<typeof withdrawalTermsSchema>;

/** One withdrawal as the node and its owner see it. */
export const withdrawalViewSchema = z.object({
  id: z.string(),
  to: hexAddress,
  amountMicroUsd: microUsd,
  feeMicroUsd: microUsd,
  status: withdrawalStatusSchema,
  txHash: z.string().nullable(),
  failureReason: z.string().nullable(),
  chainId: z.number().int().positive(),
  /** Epoch milliseconds. */
  createdAt: z.number().int(),
  updatedAt: z.number().int(),
});
export type WithdrawalView = z.infer<typeof withdrawalViewSchema>;

/** The coordinator's answer to a withdrawal request. */
export const withdrawalReplySchema = z.object({
  withdrawal: withdrawalViewSchema,
  /** True when this request had been made before: nothing more was taken. */
  replayed: z.boolean(),
  availableMicroUsd: microUsd,
});
export type WithdrawalReply = z.infer<typeof withdrawalReplySchema>;

/** The coordinator's answer to `GET /v1/nodes/withdrawals`, newest first. */
export const withdrawalHistorySchema = z.object({
  terms: withdrawalTermsSchema,
  availableMicroUsd: microUsd,
  /** Withdrawn since the start of the UTC day (failed ones not counted). */
  withdrawnTodayMicroUsd: microUsd,
  withdrawals: z.array(withdrawalViewSchema),
});
export type WithdrawalHistory = z.infer<typeof withdrawalHistorySchema>;

/** What the owner is told before confirming: the terms and where the node's balance stands. */
export const withdrawalTermsViewSchema = withdrawalTermsSchema.extend({
  /** The node's own address, offered first as the destination. */
  address: z.string(),
  availableMicroUsd: microUsd,
  withdrawnTodayMicroUsd: microUsd,
});
export type WithdrawalTermsView = z.infer<typeof withdrawalTermsViewSchema>;

/** Headers of a node's signed read of its own withdrawals. */
export const NODE_AUTH_HEADERS = { node: "x-offpeak-node", deadline: "x-offpeak-deadline", signature: "x-offpeak-signature" } as const;

/** Longest a signed read stays valid (seconds). */
export const MAX_READ_VALIDITY_SECONDS = 300;
