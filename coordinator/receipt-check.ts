/**
 * Checks a node's receipt against what the coordinator itself saw of the job: same job and
 * model, completion tokens equal to those relayed, output hash of the relayed text, a plausible
 * prompt size, and a signature by the node's own wallet key.
 */
import { createHash } from "node:crypto";
import type { Receipt } from "../shared/protocol";
import { receiptDigest } from "./receipt-digest";
import { recoverSigner } from "./signer-recovery";

/** What the coordinator observed of a job, to hold the receipt against. */
export interface ObservedJob {
  readonly jobId: string;
  readonly model: string;
  readonly nodeAddress: string;
  readonly relayedText: string;
  readonly relayedTokens: number;
  readonly promptTokenBound: number;
  readonly maxTokens: number;
}

/** sha256 of a text's UTF-8 bytes, 0x-prefixed hex (the receipt's `outputHash`). */
export function outputHashOf(text: string): `0x${string}` {
  return `0x${createHash("sha256").update(text, "utf8").digest("hex")}`;
}

/** Verifies a receipt; on refusal, says why in words fit for a log and for the node. */
export async function checkReceipt(receipt: Receipt, seen: ObservedJob): Promise<{ ok: true } | { ok: false; reason: string }> {
  if (receipt.jobId !== seen.jobId) return { ok: false, reason: "receipt is for another job" };
  if (receipt.model !== seen.model) return { ok: false, reason: "receipt names another model" };
  if (receipt.completionTokens !== seen.relayedTokens) {
    return { ok: false, reason: `receipt claims ${receipt.completionTokens} completion tokens, ${seen.relayedTokens} were streamed` };
  }
  if (receipt.completionTokens > seen.maxTokens) return { ok: false, reason: "receipt claims more tokens than the job allowed" };
  if (receipt.promptTokens > seen.promptTokenBound) {
    return { ok: false, reason: `receipt claims ${receipt.promptTokens} prompt tokens, at most ${seen.promptTokenBound} are possible` };
  }
  if (receipt.outputHash.toLowerCase() !== outputHashOf(seen.relayedText)) return { ok: false, reason: "receipt output hash does not match the streamed text" };
  let signed = false;
  try {
    const signer = recoverSigner(receiptDigest(receipt), receipt.signature);
    signed = signer.toLowerCase() === seen.nodeAddress.toLowerCase();
  } catch {
    signed = false;
  }
  return signed ? { ok: true } : { ok: false, reason: "receipt signature is not the node's" };
}
