/**
 * Failover mid-answer: when the node streaming an answer breaks off (it crashed, left, went
 * quiet or its owner stopped sharing), the next node is asked to continue it — the same prompt
 * with the text already sent as a prefill, for the tokens still allowed — and streams only what
 * follows, so the consumer's stream carries on. At temperature 0 the continued text is what one
 * node would have produced (as long as the text sent so far re-reads as the same tokens, which
 * holds unless the model emitted a token that renders as no text).
 */
import type { JobInput, Sampling } from "../shared/protocol";
import type { AttemptEnd } from "./job-attempt";
import { promptTokenUpperBound } from "./openai-request";
import { partJobId } from "./part-settlement";

/** Nodes one answer may pass through: the first, and up to two that continue it. */
export const MAX_PARTS = 3;

/** The spec of a job, as far as failover needs it. */
interface JobBase {
  readonly jobId: string;
  readonly input: JobInput;
  readonly sampling: Sampling;
}

/** What the next part of a job asks its node: the job itself, or its continuation. */
export function continuationOf(
  job: JobBase,
  index: number,
  sent: { readonly text: string; readonly tokens: number },
): { index: number; jobId: string; input: JobInput; sampling: Sampling; promptTokenBound: number } {
  const input: JobInput = sent.text === "" ? job.input : { ...job.input, prefill: (job.input.prefill ?? "") + sent.text };
  const sampling: Sampling = { ...job.sampling, maxTokens: Math.max(1, job.sampling.maxTokens - sent.tokens) };
  return { index, jobId: partJobId(job.jobId, index), input, sampling, promptTokenBound: promptTokenUpperBound(input) };
}

/**
 * Whether an answer that broke off with `end` may continue on another node: not when the node
 * refused the request itself (another node would refuse it too).
 */
export function mayContinue(end: AttemptEnd): boolean {
  if (end.kind !== "failed") return end.kind === "dropped" || end.kind === "timeout";
  return end.code !== "invalid_request" && end.code !== "context_length_exceeded";
}
