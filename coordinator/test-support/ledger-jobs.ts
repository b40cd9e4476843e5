/**
 * Test and bench support: consumers with credit, jobs opened and settled straight on a
 * {@link Ledger}, without a coordinator or nodes around it.
 */
import { randomUUID } from "node:crypto";
import type { Receipt } from "../../shared/protocol";
import type { Database } from "../db";
import { createApiKey } from "../api-keys";
import { consumerAccountId, type Ledger, type SettleResult } from "../ledger";

/** A receipt as a node would send it (the ledger does not check signatures; receipt-check.ts does). */
export function receiptFor(jobId: string, promptTokens = 10, completionTokens = 20, model = "m"): Receipt {
  return { jobId, model, promptTokens, completionTokens, outputHash: `0x${"ab".repeat(32)}`, signature: `0x${"12".repeat(65)}` };
}

/** A consumer account funded with `credit` µUSD. */
export async function fundedConsumer(db: Database, credit: number, at = new Date()): Promise<string> {
  const { id } = await createApiKey(db, credit, "test", at);
  return consumerAccountId(id);
}

/** Opens a job reserving `reserve` µUSD; its id, or null when the consumer cannot cover it. */
export async function openJob(ledger: Ledger, account: string, reserve: number, model = "m"): Promise<string | null> {
  const jobId = `job_${randomUUID()}`;
  return (await ledger.reserveJob({ jobId, consumerAccountId: account, model, amountMicroUsd: reserve })) ? jobId : null;
}

/** Settles a job for `node` at `cost` µUSD with a fee of `feeBps`. */
export function settle(ledger: Ledger, jobId: string, node: string, cost: number, feeBps = 0, tokens = { prompt: 10, completion: 20 }): Promise<SettleResult> {
  return ledger.settleJob({
    jobId,
    nodeAddress: node,
    receipt: receiptFor(jobId, tokens.prompt, tokens.completion),
    finishReason: "stop",
    costMicroUsd: cost,
    feeBps,
  });
}
