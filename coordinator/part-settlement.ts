/**
 * Settlement of a job served in parts: its first node broke off mid-answer and other nodes
 * continued it. The consumer is charged once, the sum of the parts; each node is credited for
 * its own part from its own receipt. Every part after the first is a row of `jobs` under its
 * parent (id "<job>.p<n>"), so the once-only guards of receipts and credits hold per part.
 */
import type { FinishReason, Receipt } from "../shared/protocol";
import { splitCost } from "../shared/money";
import { toSafeInteger, type Database } from "./db";
import { ensureAccount, PLATFORM_ACCOUNT, postTransfer } from "./ledger-accounts";
import { bookNodeCredit, nodeTotalsIn } from "./node-credits";
import { insertReceipts } from "./receipt-rows";

/** The id a part of `jobId` runs under on its node (and signs its receipt for). */
export function partJobId(jobId: string, part: number): string {
  return part === 0 ? jobId : `${jobId}.p${part}`;
}

/** One billed part: a verified receipt and what it costs. */
export interface SettlePart {
  /** 0 for the first node's part, then 1, 2 … in the order the nodes served. */
  readonly part: number;
  readonly nodeAddress: string;
  readonly receipt: Receipt;
  readonly finishReason: FinishReason;
  readonly costMicroUsd: number;
}

/** What each part's node got. */
export interface SettledPart {
  readonly part: number;
  readonly nodeAddress: string;
  readonly costMicroUsd: number;
  readonly nodeMicroUsd: number;
  readonly nodeBalanceMicroUsd: number;
  readonly nodeTodayMicroUsd: number;
}

export type SettlePartsResult = { readonly status: "settled"; readonly parts: readonly SettledPart[] } | { readonly status: "already_closed" };

/** Settles the billed parts of a running job in one transaction; a job settles at most once. */
export async function settleParts(
  db: Database,
  input: { jobId: string; parts: readonly SettlePart[]; feeBps: number; at: Date; verificationWindowMs: number },
): Promise<SettlePartsResult> {
  const { jobId, parts, at } = input;
  if (parts.length === 0) throw new RangeError("a settlement needs at least one part");
  const seen = new Set<number>();
  for (const p of parts) {
    if (!Number.isSafeInteger(p.costMicroUsd) || p.costMicroUsd < 0) throw new RangeError(`part ${p.part} cost must be a non-negative safe integer`);
    if (!Number.isInteger(p.part) || p.part < 0 || seen.has(p.part)) throw new RangeError(`part numbers must be distinct non-negative integers`);
    seen.add(p.part);
  }
  const total = parts.reduce((sum, p) => sum + p.costMicroUsd, 0);
  const last = parts[parts.length - 1] as SettlePart;
  const promptTokens = parts.find((p) => p.part === 0)?.receipt.promptTokens ?? 0;
  const completionTokens = parts.reduce((sum, p) => sum + p.receipt.completionTokens, 0);
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ account: string; reserved: unknown; model: string; created: Date | string }>(
      `UPDATE jobs SET status = 'settled', node_address = $2, cost_micro_usd = $3, prompt_tokens = $4, completion_tokens = $5, finished_at = $6
       WHERE id = $1 AND status = 'running'
       RETURNING consumer_account_id AS account, reserved_micro_usd AS reserved, model, created_at AS created`,
      [jobId, last.nodeAddress.toLowerCase(), total, promptTokens, completionTokens, at.toISOString()],
    );
    const job = rows[0];
    if (!job) return { status: "already_closed" } as const;
    const reserved = toSafeInteger(job.reserved);
    if (total > reserved) throw new Error(`job ${jobId} costs ${total} but only ${reserved} was reserved`);
    await tx.query(`UPDATE balances SET reserved_micro_usd = reserved_micro_usd - $2 WHERE account_id = $1`, [job.account, reserved]);
    const settled: SettledPart[] = [];
    for (const p of parts) {
      const id = partJobId(jobId, p.part);
      const address = p.nodeAddress.toLowerCase();
      if (p.part > 0) {
        await tx.query(
          `INSERT INTO jobs (id, consumer_account_id, model, status, reserved_micro_usd, node_address, cost_micro_usd, prompt_tokens,
             completion_tokens, created_at, finished_at, parent_job_id, part)
           VALUES ($1, $2, $3, 'settled', 0, $4, $5, $6, $7, $8, $9, $10, $11)`,
          [id, job.account, job.model, address, p.costMicroUsd, p.receipt.promptTokens, p.receipt.completionTokens, new Date(job.created).toISOString(), at.toISOString(), jobId, p.part],
        );
      }
      await insertReceipts(tx, [{ jobId: id, nodeAddress: address, receipt: p.receipt, finishReason: p.finishReason }], at);
      const { nodeMicroUsd, feeMicroUsd } = splitCost(p.costMicroUsd, input.feeBps);
      const nodeAccount = await bookNodeCredit(tx, { jobId: id, address, amountMicroUsd: nodeMicroUsd, at, verificationWindowMs: input.verificationWindowMs });
      await ensureAccount(tx, nodeAccount);
      await postTransfer(
        tx,
        `job:${id}`,
        id,
        [
          { accountId: job.account, amountMicroUsd: -p.costMicroUsd, kind: "job_charge" },
          { accountId: nodeAccount, amountMicroUsd: nodeMicroUsd, kind: "job_earning" },
          { accountId: PLATFORM_ACCOUNT, amountMicroUsd: feeMicroUsd, kind: "job_fee" },
        ],
        at,
      );
      const totals = await nodeTotalsIn(tx, address, at);
      settled.push({ part: p.part, nodeAddress: address, costMicroUsd: p.costMicroUsd, nodeMicroUsd, nodeBalanceMicroUsd: totals.balanceMicroUsd, nodeTodayMicroUsd: totals.todayMicroUsd });
    }
    return { status: "settled", parts: settled } as const;
  });
}
