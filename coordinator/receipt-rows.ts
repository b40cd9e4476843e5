/**
 * Receipts as the ledger stores them: one row per job (or job part) a node was credited for. The
 * primary key on `receipts.job_id` is the last guard against crediting a job twice, and every
 * node credit rests on its receipt (node_credits' foreign key).
 */
import type { FinishReason, Receipt } from "../shared/protocol";
import type { Queryable } from "./db";

/** A verified receipt to store: the job id it is stored under, the node that signed it and how the job ended. */
export interface ReceiptRow {
  readonly jobId: string;
  readonly nodeAddress: string;
  readonly receipt: Receipt;
  readonly finishReason: FinishReason;
}

/** Inserts the receipts in one statement, inside the caller's transaction. */
export async function insertReceipts(tx: Queryable, rows: readonly ReceiptRow[], at: Date): Promise<void> {
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO receipts (job_id, node_address, model, prompt_tokens, completion_tokens, output_hash, signature, finish_reason, created_at)
     SELECT r.*, $9::timestamptz FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::text[], $8::text[]) AS r`,
    [
      rows.map((r) => r.jobId),
      rows.map((r) => r.nodeAddress.toLowerCase()),
      rows.map((r) => r.receipt.model),
      rows.map((r) => r.receipt.promptTokens),
      rows.map((r) => r.receipt.completionTokens),
      rows.map((r) => r.receipt.outputHash),
      rows.map((r) => r.receipt.signature),
      rows.map((r) => r.finishReason),
      at.toISOString(),
    ],
  );
}
