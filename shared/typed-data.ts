/**
 * EIP-712 typed-data definitions the node signs with its wallet key and the coordinator checks:
 * the login (answer to a one-time challenge), the receipt of a job, and a withdrawal with the
 * node's signed read of its own withdrawals.
 */
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

export const withdrawalTypes = {
  Withdrawal: [
    { name: "to", type: "address" },
    { name: "amountMicroUsd", type: "uint256" },
    { name: "nonce", type: "bytes32" },
    { name: "chainId", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

export const withdrawalReadTypes = {
  ReadWithdrawals: [
    { name: "node", type: "address" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

/** The typed-data payload of a withdrawal request: pay `amountMicroUsd` to `to` on chain `chainId`. */
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
    },
  };
}

/** The typed-data payload a node signs to read its own withdrawals until `deadline` (unix seconds). */
export function withdrawalReadTypedData(node: `0x${string}`, deadline: number) {
  return {
    domain: OFFPEAK_DOMAIN,
    types: withdrawalReadTypes,
    primaryType: "ReadWithdrawals" as const,
    message: { node, deadline: BigInt(deadline) },
  };
}

/**
 * The `coordinator` field of an earnings request. A login names a coordinator; this fixed
 * purpose marks the signature as a request to read earnings, never a login.
 */
export const EARNINGS_REQUEST_PURPOSE = "offpeak:earnings-request";

/** The self-made nonce of an earnings request: the address and the time it was signed (epoch ms). */
export function earningsRequestNonce(address: string, timestamp: number): string {
  return `earnings:${address.toLowerCase()}:${timestamp}`;
}

/**
 * The typed data a node signs to read its earnings from the coordinator's HTTP API: `{address,
 * timestamp}` carried in a Login struct (nonce `earnings:<address>:<timestamp>`, coordinator
 * {@link EARNINGS_REQUEST_PURPOSE}). The Login struct is used because the node's wallet signs
 * logins and receipts only; a coordinator's login challenge is 64 random hex digits, so an
 * earnings request can never answer a challenge and a login can never pass for an earnings request.
 */
export function earningsRequestTypedData(address: string, timestamp: number) {
  return loginTypedData(earningsRequestNonce(address, timestamp), EARNINGS_REQUEST_PURPOSE);
}
