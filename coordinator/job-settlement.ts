/**
 * Closes a job that ended with an answer: each part's receipt is checked against what the
 * coordinator relayed from that node; the parts with a valid receipt are billed (the first part
 * with its prompt, continuations for their completion only, each at its node's price) and their
 * nodes credited; a part whose receipt is refused or missing is free to the consumer and earns
 * its node nothing.
 */
import type { FinishReason, Receipt } from "../shared/protocol";
import { jobCostMicroUsd } from "../shared/money";
import type { Logger } from "../shared/logger";
import type { Ledger } from "./ledger";
import type { NodeHub } from "./node-hub";
import { checkReceipt } from "./receipt-check";
import type { Part } from "./job-attempt";
import { settleParts, type SettlePart } from "./part-settlement";
import { retryOnConnectionLoss } from "./db-retry";

/** A part that streamed tokens, with the receipt its node sent (if any). */
export interface FinishedPart {
  readonly part: Part;
  readonly receipt: Receipt | undefined;
  readonly finishReason: FinishReason;
}

/** What settlement works with. */
export interface SettlementDeps {
  readonly hub: Pick<NodeHub, "send">;
  readonly ledger: Pick<Ledger, "settleJob" | "releaseJob" | "verificationWindowMs">;
  /** The database the ledger is on (a job in several parts settles there in one transaction). */
  readonly db: Parameters<typeof settleParts>[0];
  readonly logger: Logger;
  readonly feeBps: number;
  readonly clock: () => Date;
  /** A node's receipt was refused (it claimed what it did not stream). */
  onReceiptRefused?(address: string, reason: string): void;
}

/** The billed parts and the tokens of the prompt the consumer was billed for. */
export interface Settlement {
  readonly billed: readonly SettlePart[];
  readonly promptTokens: number;
}

/** Checks every part's receipt and settles the job; never throws. */
export async function settleJobParts(deps: SettlementDeps, jobId: string, model: string, finished: readonly FinishedPart[]): Promise<Settlement> {
  const log = deps.logger;
  const billed: SettlePart[] = [];
  for (const { part, receipt, finishReason } of finished) {
    if (!receipt) continue;
    const check = await checkReceipt(receipt, {
      jobId: part.jobId,
      model,
      nodeAddress: part.address,
      relayedText: part.text,
      relayedTokens: part.tokens,
      promptTokenBound: part.promptTokenBound,
      maxTokens: part.sampling.maxTokens,
    });
    if (!check.ok) {
      log.warn("receipt refused", { jobId, part: part.index, address: part.address, reason: check.reason });
      deps.hub.send(part.nodeId, { type: "error", code: "receipt_refused", message: `receipt refused: ${check.reason}; no credit`, ref: part.jobId });
      deps.onReceiptRefused?.(part.address, check.reason);
      continue;
    }
    // The consumer's prompt is billed once, by the first part; a continuation re-reads it with
    // the answer so far, which is the network's cost of the failover, not the consumer's.
    const promptTokens = part.index === 0 ? receipt.promptTokens : 0;
    billed.push({ part: part.index, nodeAddress: part.address, receipt, finishReason, costMicroUsd: jobCostMicroUsd(part.price, promptTokens, receipt.completionTokens) });
  }
  const promptTokens = billed.find((b) => b.part === 0)?.receipt.promptTokens ?? 0;
  if (billed.length === 0) {
    const why = finished.some((f) => f.receipt) ? "receipt refused" : "no part carried a receipt";
    await retryOnConnectionLoss(() => deps.ledger.releaseJob(jobId, "disputed", why, finished.at(-1)?.part.address)).catch((err: unknown) => {
      log.error("could not release a disputed job", { jobId, error: String(err) });
    });
    return { billed, promptTokens };
  }
  const nodeOf = new Map(finished.map((f) => [f.part.index, f.part.nodeId]));
  try {
    const only = billed[0] as SettlePart;
    if (billed.length === 1 && only.part === 0) {
      // A lost connection must not cost the node its pay: a settlement is safe to retry (see db-retry.ts).
      const result = await retryOnConnectionLoss(() =>
        deps.ledger.settleJob({ jobId, nodeAddress: only.nodeAddress, receipt: only.receipt, finishReason: only.finishReason, costMicroUsd: only.costMicroUsd, feeBps: deps.feeBps }),
      );
      if (result.status === "settled") {
        log.info("job settled", { jobId, address: only.nodeAddress, costMicroUsd: only.costMicroUsd, nodeMicroUsd: result.nodeMicroUsd, finishReason: only.finishReason });
        deps.hub.send(nodeOf.get(0) as string, { type: "credit", jobId, amountMicroUsd: result.nodeMicroUsd, balanceMicroUsd: result.nodeBalanceMicroUsd, todayMicroUsd: result.nodeTodayMicroUsd });
      } else {
        log.warn("job was already closed; receipt ignored", { jobId, address: only.nodeAddress });
      }
      return { billed, promptTokens };
    }
    const at = deps.clock();
    const result = await retryOnConnectionLoss(() => settleParts(deps.db, { jobId, parts: billed, feeBps: deps.feeBps, at, verificationWindowMs: deps.ledger.verificationWindowMs }));
    if (result.status !== "settled") {
      log.warn("job was already closed; receipts ignored", { jobId });
      return { billed, promptTokens };
    }
    for (const p of result.parts) {
      log.info("job part settled", { jobId, part: p.part, address: p.nodeAddress, costMicroUsd: p.costMicroUsd, nodeMicroUsd: p.nodeMicroUsd });
      const partId = finished.find((f) => f.part.index === p.part)?.part.jobId ?? jobId;
      deps.hub.send(nodeOf.get(p.part) as string, { type: "credit", jobId: partId, amountMicroUsd: p.nodeMicroUsd, balanceMicroUsd: p.nodeBalanceMicroUsd, todayMicroUsd: p.nodeTodayMicroUsd });
    }
  } catch (err) {
    log.error("settlement failed; job disputed", { jobId, error: String(err) });
    await retryOnConnectionLoss(() => deps.ledger.releaseJob(jobId, "disputed", `settlement failed: ${String(err)}`)).catch((releaseErr: unknown) => {
      log.error("could not release a job whose settlement failed", { jobId, error: String(releaseErr) });
    });
  }
  return { billed, promptTokens };
}
