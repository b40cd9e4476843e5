/**
 * OpenAI response shapes: streamed chunks (`text_completion`, `chat.completion.chunk`), whole
 * responses, usage, error bodies, and the SSE framing around them.
 */
import type { FinishReason } from "../shared/protocol";

/** Token counts as OpenAI reports them. */
export interface Usage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
}

/** Builds a usage object from prompt and completion token counts. */
export function usageOf(promptTokens: number, completionTokens: number): Usage {
  return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
}

/** What OpenAI calls the finish reason ("cancelled" never reaches a consumer that is still there). */
export function openAiFinishReason(reason: FinishReason): "stop" | "length" {
  return reason === "length" ? "length" : "stop";
}

/** Identity of one response: the same id, created time and model on every chunk. */
export interface ResponseMeta {
  readonly id: string;
  readonly created: number;
  readonly model: string;
  /** When true, every chunk carries `usage: null` and a final usage chunk follows. */
  readonly includeUsage: boolean;
}

/** One `text_completion` chunk (text delta, or the final one with its finish reason). */
export function completionChunk(meta: ResponseMeta, text: string, finishReason: "stop" | "length" | null): object {
  return {
    id: meta.id,
    object: "text_completion",
    created: meta.created,
    model: meta.model,
    choices: [{ text, index: 0, logprobs: null, finish_reason: finishReason }],
    ...(meta.includeUsage ? { usage: null } : {}),
  };
}

/** One `chat.completion.chunk`: the first carries the role, the last the finish reason. */
export function chatChunk(
  meta: ResponseMeta,
  delta: { role?: "assistant"; content?: string },
  finishReason: "stop" | "length" | null,
): object {
  return {
    id: meta.id,
    object: "chat.completion.chunk",
    created: meta.created,
    model: meta.model,
    system_fingerprint: null,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...(meta.includeUsage ? { usage: null } : {}),
  };
}

/** The usage chunk sent last when `stream_options.include_usage` is set: empty choices. */
export function usageChunk(meta: ResponseMeta, kind: "completion" | "chat", usage: Usage): object {
  return {
    id: meta.id,
    object: kind === "chat" ? "chat.completion.chunk" : "text_completion",
    created: meta.created,
    model: meta.model,
    ...(kind === "chat" ? { system_fingerprint: null } : {}),
    choices: [],
    usage,
  };
}

/** A whole (non-streamed) `text_completion`. */
export function completionResponse(meta: ResponseMeta, text: string, finishReason: "stop" | "length", usage: Usage): object {
  return {
    id: meta.id,
    object: "text_completion",
    created: meta.created,
    model: meta.model,
    choices: [{ text, index: 0, logprobs: null, finish_reason: finishReason }],
    usage,
  };
}

/** A whole (non-streamed) `chat.completion`. */
export function chatResponse(meta: ResponseMeta, text: string, finishReason: "stop" | "length", usage: Usage): object {
  return {
    id: meta.id,
    object: "chat.completion",
    created: meta.created,
    model: meta.model,
    system_fingerprint: null,
    choices: [{ index: 0, message: { role: "assistant", content: text, refusal: null }, logprobs: null, finish_reason: finishReason }],
    usage,
  };
}

/** OpenAI's error body. */
export interface OpenAiError {
  readonly error: { readonly message: string; readonly type: string; readonly param: string | null; readonly code: string | null };
}

/** Builds an OpenAI error body. */
export function errorBody(message: string, type: string, code: string | null, param: string | null = null): OpenAiError {
  return { error: { message, type, param, code } };
}

/** One SSE data event carrying `payload` as JSON. */
export function sseData(payload: object): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}

/** The SSE event that ends a stream. */
export const SSE_DONE = "data: [DONE]\n\n";

/** An SSE `error` event in OpenAI's error shape (ends a stream that failed after it began). */
export function sseError(body: OpenAiError): string {
  return `event: error\ndata: ${JSON.stringify(body)}\n\n`;
}
