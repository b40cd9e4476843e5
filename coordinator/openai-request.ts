/**
 * Parses OpenAI `/v1/completions` and `/v1/chat/completions` request bodies (zod; unknown fields
 * ignored) and maps them to the protocol's `JobInput` and `Sampling`.
 */
import { z } from "zod";
import { MAX_FRAME_BYTES, type JobInput, type Sampling } from "../shared/protocol";

/** Output length when the request sets none. */
export const DEFAULT_MAX_TOKENS = 256;
/** Largest output a request may ask for. */
export const MAX_MAX_TOKENS = 1_000_000;

const maxTokens = z.number().int().positive().max(MAX_MAX_TOKENS).nullish();
const common = z.object({
  model: z.string().min(1).max(200),
  max_tokens: maxTokens,
  max_completion_tokens: maxTokens,
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  seed: z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER).nullish(),
  stop: z.union([z.string().min(1).max(200), z.array(z.string().min(1).max(200)).max(4)]).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  n: z.number().int().nullish(),
  user: z.string().max(256).nullish(),
  /**
   * Offpeak's extension: the most the consumer pays, in µUSD per million tokens, prompt
   * (`input`) and completion (`output`) apart; a side left out is capped at the list price.
   */
  max_price: z
    .object({
      input: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).nullish(),
      output: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).nullish(),
    })
    .strict()
    .nullish(),
});

const completionBody = common.extend({
  prompt: z.union([z.string().max(MAX_FRAME_BYTES), z.array(z.string().max(MAX_FRAME_BYTES)).length(1, "only one prompt per request is supported")]),
});

const textPart = z.object({ type: z.literal("text"), text: z.string() });
const chatBody = common.extend({
  messages: z
    .array(
      z.object({
        role: z.enum(["system", "user", "assistant", "developer"]),
        content: z.union([z.string(), z.array(textPart).max(1000)]),
        name: z.string().max(256).nullish(),
      }),
    )
    .min(1)
    .max(1000),
});

/** A request ready to become a job. */
export interface ParsedRequest {
  readonly kind: "completion" | "chat";
  readonly model: string;
  readonly input: JobInput;
  readonly sampling: Sampling;
  readonly stream: boolean;
  readonly includeUsage: boolean;
  /** The consumer's price cap (`max_price`), each side µUSD per million tokens. */
  readonly maxPrice: { readonly input?: number; readonly output?: number };
}

/** A refused request: what is wrong, and which field (OpenAI's `param`). */
export interface RequestError {
  readonly message: string;
  readonly param: string | null;
}

export type ParseOutcome = { ok: true; value: ParsedRequest } | { ok: false; error: RequestError };

function refusal(error: z.ZodError): ParseOutcome {
  const issue = error.issues[0];
  const param = issue && issue.path.length > 0 ? issue.path.map(String).join(".") : null;
  const message = issue ? `${param ?? "body"}: ${issue.message}` : "invalid request body";
  return { ok: false, error: { message, param } };
}

function samplingOf(body: z.infer<typeof common>): Sampling {
  const stop = body.stop == null ? [] : typeof body.stop === "string" ? [body.stop] : body.stop;
  const seed = body.seed == null ? undefined : ((body.seed % 2 ** 32) + 2 ** 32) % 2 ** 32;
  return {
    maxTokens: body.max_completion_tokens ?? body.max_tokens ?? DEFAULT_MAX_TOKENS,
    temperature: body.temperature ?? 1,
    topP: body.top_p ?? 1,
    ...(seed === undefined ? {} : { seed }),
    stop,
  };
}

function commonChecks(body: z.infer<typeof common>): RequestError | null {
  if (body.n != null && body.n !== 1) return { message: "n: only n = 1 is supported", param: "n" };
  return null;
}

function finish(kind: "completion" | "chat", body: z.infer<typeof common>, input: JobInput): ParseOutcome {
  const bad = commonChecks(body);
  if (bad) return { ok: false, error: bad };
  return {
    ok: true,
    value: {
      kind,
      model: body.model,
      input,
      sampling: samplingOf(body),
      stream: body.stream === true,
      includeUsage: body.stream === true && body.stream_options?.include_usage === true,
      maxPrice: {
        ...(body.max_price?.input == null ? {} : { input: body.max_price.input }),
        ...(body.max_price?.output == null ? {} : { output: body.max_price.output }),
      },
    },
  };
}

/** Parses a `/v1/completions` body. */
export function parseCompletionRequest(body: unknown): ParseOutcome {
  const parsed = completionBody.safeParse(body);
  if (!parsed.success) return refusal(parsed.error);
  const prompt = typeof parsed.data.prompt === "string" ? parsed.data.prompt : (parsed.data.prompt[0] ?? "");
  return finish("completion", parsed.data, { kind: "completion", prompt });
}

/** Parses a `/v1/chat/completions` body; array contents are joined from their text parts. */
export function parseChatRequest(body: unknown): ParseOutcome {
  const parsed = chatBody.safeParse(body);
  if (!parsed.success) return refusal(parsed.error);
  const messages = parsed.data.messages.map((m) => ({
    role: m.role,
    content: typeof m.content === "string" ? m.content : m.content.map((p) => p.text).join(""),
  }));
  return finish("chat", parsed.data, { kind: "chat", messages });
}

/** Template tokens a chat format may add per message and per conversation (generous). */
const CHAT_TOKENS_PER_MESSAGE = 16;
const CHAT_TOKENS_PER_CONVERSATION = 16;
/** BOS/EOS and similar markers a tokenizer may add around a raw prompt. */
const PROMPT_SPECIAL_TOKENS = 4;

/**
 * An upper bound on the prompt's token count: one token per UTF-8 byte (no SentencePiece or BPE
 * vocabulary does worse), plus room for special and chat-template tokens.
 */
export function promptTokenUpperBound(input: JobInput): number {
  const bytes = (s: string) => Buffer.byteLength(s, "utf8");
  const prefill = bytes(input.prefill ?? "");
  if (input.kind === "completion") return bytes(input.prompt) + prefill + PROMPT_SPECIAL_TOKENS;
  let total = CHAT_TOKENS_PER_CONVERSATION + prefill;
  for (const m of input.messages) total += bytes(m.content) + bytes(m.role) + CHAT_TOKENS_PER_MESSAGE;
  return total;
}
