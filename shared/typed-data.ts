/**
 * EIP-712 typed-data definitions the node signs with its wallet key and the coordinator checks:
 * the login (answer to a one-time challenge), the receipt of a job, a withdrawal with the
 * node's signed read of its own withdrawals, and a request to read its earnings.
 *
 * Each kind of request has a struct of its own, so a signature made for one can never be taken
 * for another (the struct's name is part of the signed hash). Every signed HTTP request names the
 * coordinator it is meant for — the id the coordinator sends in its login challenge and publishes
 * at {@link COORDINATOR_IDENTITY_PATH} — so that a request signed for one network cannot be
 * replayed at another. The coordinator accepts only these structs: there are no deployed nodes
 * that sign older forms, so none is kept for them.
 */
import { z } from "zod";
import type { Receipt } from "./protocol";
import type { WithdrawalMessage } from "./withdrawal";

/** The EIP-712 domain shared by every Offpeak signature. */
export const OFFPEAK_DOMAIN = { name: "Offpeak", version: "1" } as const;

export const loginTypes = {
  Login: [
    { name: "nonce", type: "string" },
    { name: "coordinator", type: "string" },
  ],
} as const;

export const receiptTypes = {
  Receipt: [
    { name: "jobId", type: "string" },
    { name: "model", type: "string" },
    { name: "promptTokens", type: "uint256" },
    { name: "completionTokens", type: "uint256" },
    { name: "outputHash", type: "bytes32" },
  ],
} as const;

/** The typed-data payload of a login, ready for viem's signTypedData / verifyTypedData. */
export function loginTypedData(nonce: string, coordinator: string) {
  return {
    domain: OFFPEAK_DOMAIN,
    types: loginTypes,
    primaryType: "Login" as const,
    message: { nonce, coordinator },
  };
}

/** The typed-data payload of a receipt (everything but the signature). */
export function receiptTypedData(receipt: Omit<Receipt, "signature">) {
  return {
    domain: OFFPEAK_DOMAIN,
    types: receiptTypes,
    primaryType: "Receipt" as const,
    message: {
      jobId: receipt.jobId,
      model: receipt.model,
      promptTokens: BigInt(receipt.promptTokens),
      completionTokens: BigInt(receipt.completionTokens),
      outputHash: receipt.outputHash as `0x${string}`,
    },
  };
}

/** Where a coordinator tells nodes its id, the `coordinator` their signed requests name. */
export const COORDINATOR_IDENTITY_PATH = "/v1/nodes/coordinator";

/** The answer at {@link COORDINATOR_IDENTITY_PATH} (the same id as in the login challenge). */
export const coordinatorIdentitySchema = z.object({ coordinatorId: z.string().min(1).max(200) });
export type CoordinatorIdentity = z.infer<typeof coordinatorIdentitySchema>;

export const withdrawalTypes = {
  Withdrawal: [
    { name: "to", type: "address" },
    { name: "amountMicroUsd", type: "uint256" },
    { name: "nonce", type: "bytes32" },
    { name: "chainId", type: "uint256" },
    { name: "deadline", type: "uint256" },
    { name: "coordinator", type: "string" },
  ],
} as const;

export const withdrawalReadTypes = {
  ReadWithdrawals: [
    { name: "node", type: "address" },
    { name: "deadline", type: "uint256" },
    { name: "coordinator", type: "string" },
  ],
} as const;

export const earningsRequestTypes = {
  EarningsRequest: [
    { name: "node", type: "address" },
    { name: "timestamp", type: "uint256" },
    { name: "coordinator", type: "string" },
  ],
} as const;

/** The typed-data payload of a withdrawal request: pay `amountMicroUsd` to `to` on chain `chainId`, at coordinator `coordinator`. */
export function withdrawalTypedData(message: WithdrawalMessage) {
  return {
    domain: OFFPEAK_DOMAIN,
    types: withdrawalTypes,
    primaryType: "Withdrawal" as const,
    message: {
      to: message.to,
      amountMicroUsd: BigInt(message.amountMicroUsd),
      nonce: message.nonce,
      chainId: BigInt(message.chainId),
      deadline: BigInt(message.deadline),
      coordinator: message.coordinator,
    },
  };
}

/** The typed-data payload a node signs to read its own withdrawals at `coordinator` until `deadline` (unix seconds). */
export function withdrawalReadTypedData(node: `0x${string}`, deadline: number, coordinator: string) {
  return {
    domain: OFFPEAK_DOMAIN,
    types: withdrawalReadTypes,
    primaryType: "ReadWithdrawals" as const,
    message: { node, deadline: BigInt(deadline), coordinator },
  };
}

/**
 * The typed data a node signs to read its earnings from the coordinator's HTTP API: its address,
 * the time it signed (epoch ms) and the coordinator's id.
 */
export function earningsRequestTypedData(node: `0x${string}`, timestamp: number, coordinator: string) {
  return {
    domain: OFFPEAK_DOMAIN,
    types: earningsRequestTypes,
    primaryType: "EarningsRequest" as const,
    message: { node, timestamp: BigInt(timestamp), coordinator },
  };
}

export const appealTypes = {
  Appeal: [
    { name: "node", type: "address" },
    { name: "statement", type: "string" },
    { name: "timestamp", type: "uint256" },
    { name: "coordinator", type: "string" },
  ],
} as const;

export const standingReadTypes = {
  ReadStanding: [
    { name: "node", type: "address" },
    { name: "timestamp", type: "uint256" },
    { name: "coordinator", type: "string" },
  ],
} as const;

/** The typed data of the owner's appeal against the node's quarantine: its statement, signed at `timestamp` (epoch ms) for `coordinator`. */
export function appealTypedData(node: `0x${string}`, statement: string, timestamp: number, coordinator: string) {
  return {
    domain: OFFPEAK_DOMAIN,
    types: appealTypes,
    primaryType: "Appeal" as const,
    message: { node, statement, timestamp: BigInt(timestamp), coordinator },
  };
}

/** The typed data a node signs to read its standing (quarantine, appeal, held earnings) at `coordinator`, made at `timestamp` (epoch ms). */
export function standingReadTypedData(node: `0x${string}`, timestamp: number, coordinator: string) {
  return {
    domain: OFFPEAK_DOMAIN,
    types: standingReadTypes,
    primaryType: "ReadStanding" as const,
    message: { node, timestamp: BigInt(timestamp), coordinator },
  };
}
