/**
 * EIP-712 typed-data definitions the node signs with its wallet key and the coordinator checks:
 * the login (answer to a one-time challenge) and the receipt of a job.
 */
import type { Receipt } from "./protocol";

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
