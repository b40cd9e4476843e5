/**
 * Runs one verification job (a known-answer probe or a re-run) on one node, shaped exactly like
 * a consumer's job — same message, a job id of the same form — and checks the node's receipt
 * against what it streamed.
 */
import { randomBytes } from "node:crypto";
import type { FinishReason, JobInput, Receipt, Sampling } from "../shared/protocol";
import type { Logger } from "../shared/logger";
import type { NodeHub } from "./node-hub";
import { checkReceipt, outputHashOf } from "./receipt-check";
import { promptTokenUpperBound } from "./openai-request";

/** A consumer-looking job id (the form http-api.ts gives real jobs). */
export function newJobId(): string {
  return `job_${randomBytes(12).toString("base64url")}`;
}

/** How a check job ended. */
export type CheckRun =
  | { readonly ok: true; readonly jobId: string; readonly text: string; readonly hash: string; readonly tokens: number; readonly receipt: Receipt; readonly finishReason: FinishReason }
  /** The node answered, but its receipt does not match what it streamed (a failed check). */
  | { readonly ok: false; readonly jobId: string; readonly refused: string }
  /** The node did not answer (busy, gone, failed): no verdict. */
  | { readonly ok: false; readonly jobId: string; readonly refused?: undefined; readonly why: string };

/** Sends the job to the node and waits (bounded) for its answer. */
export function runCheckJob(
  deps: { hub: Pick<NodeHub, "assign" | "release" | "send">; logger: Logger; timeoutMs: number },
  node: { id: string; address: string },
  job: { model: string; input: JobInput; sampling: Sampling },
): Promise<CheckRun> {
  const jobId = newJobId();
  let text = "";
  let tokens = 0;
  return new Promise<CheckRun>((resolve) => {
    let ended = false;
    const end = (run: CheckRun | Promise<CheckRun>) => {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      void Promise.resolve(run).then(resolve);
    };
    const timer = setTimeout(() => {
      deps.hub.send(node.id, { type: "cancel", jobId, reason: "no answer in time" });
      deps.hub.release(node.id, jobId);
      end({ ok: false, jobId, why: "no answer in time" });
    }, deps.timeoutMs);
    const sent = deps.hub.assign(node.id, { type: "job", jobId, model: job.model, input: job.input, sampling: job.sampling }, {
      onTokens(t, count) {
        text += t;
        tokens += count;
      },
      onDone(finishReason, receipt) {
        end(
          checkReceipt(receipt, {
            jobId,
            model: job.model,
            nodeAddress: node.address,
            relayedText: text,
            relayedTokens: tokens,
            promptTokenBound: promptTokenUpperBound(job.input),
            maxTokens: job.sampling.maxTokens,
          }).then((check): CheckRun => (check.ok ? { ok: true, jobId, text, hash: outputHashOf(text), tokens, receipt, finishReason } : { ok: false, jobId, refused: check.reason })),
        );
      },
      onFailed: (code) => end({ ok: false, jobId, why: `failed: ${code}` }),
      onDisconnect: () => end({ ok: false, jobId, why: "node disconnected" }),
    });
    if (!sent) end({ ok: false, jobId, why: "node gone" });
  });
}
