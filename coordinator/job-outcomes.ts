/**
 * How a job ends for its consumer when it does not end with an answer: the HTTP status and the
 * OpenAI error body for each case.
 */
import type { FinishReason, JobFailureCode, JobInput } from "../shared/protocol";
import { errorBody, type OpenAiError } from "./openai-format";

/** How a job ended, for the consumer. */
export type JobOutcome =
  | { readonly ok: true; readonly text: string; readonly finishReason: FinishReason; readonly promptTokens: number; readonly completionTokens: number }
  | { readonly ok: false; readonly status: number; readonly error: OpenAiError; readonly retryAfterSeconds?: number };

/** Seconds a consumer is told to wait when no node can take its job. */
export const RETRY_AFTER_SECONDS = 5;

export const noCapacity = (): JobOutcome => ({
  ok: false,
  status: 503,
  error: errorBody("No node can serve this model right now; try again shortly.", "server_error", "no_capacity"),
  retryAfterSeconds: RETRY_AFTER_SECONDS,
});

export const noNodeWithinPrice = (model: string): JobOutcome => ({
  ok: false,
  status: 503,
  error: errorBody(
    `Every node serving '${model}' asks more than your max_price (or the list price, when you set none); raise max_price or try again later.`,
    "server_error",
    "no_node_within_price",
    "max_price",
  ),
  retryAfterSeconds: RETRY_AFTER_SECONDS,
});

export const queueFull = (model: string): JobOutcome => ({
  ok: false,
  status: 429,
  error: errorBody(`Every node serving '${model}' is busy and too many requests are already waiting for it; try again shortly.`, "requests", "rate_limit_exceeded"),
  retryAfterSeconds: RETRY_AFTER_SECONDS,
});

export const brokenOff = (): JobOutcome => ({
  ok: false,
  status: 502,
  error: errorBody("The node serving this request stopped before the answer was complete; you were not charged.", "server_error", "node_failed"),
});

export const consumerGone = (): JobOutcome => ({ ok: false, status: 499, error: errorBody("The request was cancelled.", "invalid_request_error", "cancelled") });

/** The consumer's error for a node's refusal of the job. */
export function failureOutcome(input: JobInput, code: JobFailureCode, message: string): JobOutcome {
  const param = input.kind === "chat" ? "messages" : "prompt";
  if (code === "context_length_exceeded") {
    return {
      ok: false,
      status: 400,
      error: errorBody(`The prompt is longer than this model's context: ${message}`, "invalid_request_error", "context_length_exceeded", param),
    };
  }
  if (code === "invalid_request") return { ok: false, status: 400, error: errorBody(`The node refused the request: ${message}`, "invalid_request_error", "invalid_request") };
  return { ok: false, status: 502, error: errorBody(`The node could not run the request (${code}); you were not charged.`, "server_error", code) };
}
