/**
 * The ledger side of verification: a known-answer probe or a re-run is paid like any job (so a
 * node cannot tell it from one by its credit), by the platform's verification account, from the
 * node's verified receipt; a check the node failed is not paid.
 */
import type { FinishReason, Receipt } from "../shared/protocol";
import type { Database } from "./db";
import { ensureAccount, postTransfer } from "./ledger-accounts";
import { bookNodeCredit, nodeTotalsIn } from "./node-credits";
import { insertReceipts } from "./receipt-rows";

/** The platform account that pays for verification jobs (its balance goes negative: a cost). */
export const VERIFICATION_ACCOUNT = "platform:verification";

/** What crediting a check job did for its node. */
export interface CheckCredit {
  readonly amountMicroUsd: number;
  readonly balanceMicroUsd: number;
  readonly todayMicroUsd: number;
}

/** Records a verification job as settled and credits its node, in one transaction. */
export async function creditCheckJob(
  db: Database,
  input: { jobId: string; address: string; model: string; receipt: Receipt; finishReason: FinishReason; costMicroUsd: number; at: Date; verificationWindowMs: number },
): Promise<CheckCredit> {
  const address = input.address.toLowerCase();
  const at = input.at.toISOString();
  return db.transaction(async (tx) => {
    await ensureAccount(tx, VERIFICATION_ACCOUNT);
    await tx.query(
      `INSERT INTO jobs (id, consumer_account_id, model, status, reserved_micro_usd, node_address, cost_micro_usd, prompt_tokens, completion_tokens, created_at, finished_at)
       VALUES ($1, $2, $3, 'settled', 0, $4, $5, $6, $7, $8, $8)`,
      [input.jobId, VERIFICATION_ACCOUNT, input.model, address, input.costMicroUsd, input.receipt.promptTokens, input.receipt.completionTokens, at],
    );
    await insertReceipts(tx, [{ jobId: input.jobId, nodeAddress: address, receipt: { ...input.receipt, model: input.model }, finishReason: input.finishReason }], input.at);
    const account = await bookNodeCredit(tx, { jobId: input.jobId, address, amountMicroUsd: input.costMicroUsd, at: input.at, verificationWindowMs: input.verificationWindowMs });
    await ensureAccount(tx, account);
    await postTransfer(
      tx,
      `check:${input.jobId}`,
      input.jobId,
      [
        { accountId: VERIFICATION_ACCOUNT, amountMicroUsd: -input.costMicroUsd, kind: "verification_cost" },
        { accountId: account, amountMicroUsd: input.costMicroUsd, kind: "job_earning" },
      ],
      input.at,
    );
    const totals = await nodeTotalsIn(tx, address, input.at);
    return { amountMicroUsd: input.costMicroUsd, balanceMicroUsd: totals.balanceMicroUsd, todayMicroUsd: totals.todayMicroUsd };
  });
}
