/**
 * Test and bench support: consumers of a coordinator under faults, each request classified.
 * - completed: the whole expected answer, a finish reason, and (streamed) `data: [DONE]`;
 * - clean error: an HTTP error status with an OpenAI error body, or a stream that ended with an
 *   SSE `error` event in that shape;
 * - cut by a crash: the connection failed (reset, refused, cut mid-stream) while the coordinator
 *   process was down or being killed — a process that is SIGKILLed cannot say goodbye;
 * - BAD: anything else — a hang past the bound, a reset or a truncated stream while the
 *   coordinator was up, a wrong or garbled answer.
 * Half the requests use plain `fetch` (SSE read by hand), half the official `openai` client.
 */
import OpenAI from "openai";

/** How a request ended. */
export type Outcome = "completed" | "clean_error" | "crash_cut" | "bad";

/** One classified request. */
export interface RequestRecord {
  readonly client: "fetch" | "openai";
  readonly outcome: Outcome;
  /** Status, error code or what went wrong. */
  readonly detail: string;
}

/** What the consumers need. */
export interface ChaosConsumerOptions {
  /** The coordinator's base URL (http://host:port), stable across restarts. */
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly model: string;
  /** The answer every node gives (the simulated nodes' tokens joined). */
  readonly expectedText: string;
  /** A request still open after this long is a hang (BAD). */
  readonly requestBoundMs: number;
  /** Whether the coordinator was down or being killed at any time in [fromMs, toMs] (Date.now()). */
  readonly coordinatorDownDuring: (fromMs: number, toMs: number) => boolean;
}

type Raw = { kind: "completed" } | { kind: "clean_error"; detail: string } | { kind: "cut"; detail: string } | { kind: "bad"; detail: string };

const isErrorBody = (v: unknown): v is { error: { message: string; code?: unknown } } =>
  typeof v === "object" && v !== null && typeof (v as { error?: { message?: unknown } }).error?.message === "string";

/** Splits an SSE body into events of (event name, data). */
function sseEvents(body: string): { event: string | null; data: string }[] {
  return body
    .split("\n\n")
    .filter((block) => block.trim().length > 0)
    .map((block) => {
      let event: string | null = null;
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) event = line.slice(7);
        else if (line.startsWith("data: ")) data.push(line.slice(6));
      }
      return { event, data: data.join("\n") };
    });
}

/** A streamed chat completion over plain fetch, the SSE checked event by event. */
async function fetchStream(o: ChaosConsumerOptions, signal: AbortSignal): Promise<Raw> {
  const res = await fetch(`${o.baseUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${o.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ model: o.model, messages: [{ role: "user", content: "Tell me something" }], stream: true }),
    signal,
  });
  const body = await res.text();
  if (res.status !== 200) {
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(body);
    } catch {
      return { kind: "bad", detail: `status ${res.status} without a JSON body` };
    }
    return isErrorBody(parsed) ? { kind: "clean_error", detail: `${res.status} ${String(parsed.error.code)}` } : { kind: "bad", detail: `status ${res.status}, body not an OpenAI error` };
  }
  if (!(res.headers.get("content-type") ?? "").startsWith("text/event-stream")) return { kind: "bad", detail: "200 without an event stream" };
  let text = "";
  let finish: string | null = null;
  const events = sseEvents(body);
  for (const [i, e] of events.entries()) {
    if (e.data === "[DONE]") {
      if (i !== events.length - 1) return { kind: "bad", detail: "events after [DONE]" };
      if (finish === null) return { kind: "bad", detail: "[DONE] without a finish reason" };
      return text === o.expectedText ? { kind: "completed" } : { kind: "bad", detail: `wrong answer: ${JSON.stringify(text.slice(0, 80))}` };
    }
    let data: unknown;
    try {
      data = JSON.parse(e.data);
    } catch {
      return { kind: "bad", detail: "garbled SSE data" };
    }
    if (e.event === "error") {
      if (!isErrorBody(data)) return { kind: "bad", detail: "error event not in OpenAI's shape" };
      return i === events.length - 1 ? { kind: "clean_error", detail: `stream error ${String(data.error.code)}` } : { kind: "bad", detail: "events after an error event" };
    }
    const choice = (data as { choices?: { delta?: { content?: string }; finish_reason?: string | null }[] }).choices?.[0];
    text += choice?.delta?.content ?? "";
    finish = choice?.finish_reason ?? finish;
  }
  return { kind: "cut", detail: "stream ended without [DONE] or an error event" };
}

/** A streamed chat completion through the official client. */
async function openaiStream(client: OpenAI, o: ChaosConsumerOptions, signal: AbortSignal): Promise<Raw> {
  const stream = await client.chat.completions.create({ model: o.model, messages: [{ role: "user", content: "Tell me something" }], stream: true }, { signal });
  let text = "";
  let finish: string | null = null;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta?.content ?? "";
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  // The client ends quietly when the body ends without [DONE]; a missing finish reason tells.
  if (finish === null) return { kind: "cut", detail: "stream ended without a finish reason" };
  return text === o.expectedText ? { kind: "completed" } : { kind: "bad", detail: `wrong answer: ${JSON.stringify(text.slice(0, 80))}` };
}

/** A plain (not streamed) completion through the official client. */
async function openaiPlain(client: OpenAI, o: ChaosConsumerOptions, signal: AbortSignal): Promise<Raw> {
  const res = await client.completions.create({ model: o.model, prompt: "Tell me something", max_tokens: 256 }, { signal });
  const choice = res.choices[0];
  if (!choice?.finish_reason) return { kind: "bad", detail: "no finish reason" };
  return choice.text === o.expectedText ? { kind: "completed" } : { kind: "bad", detail: `wrong answer: ${JSON.stringify(choice.text.slice(0, 80))}` };
}

/** What a thrown error means: an OpenAI error body is clean; a connection failure is a cut. */
function classifyThrown(err: unknown, signal: AbortSignal): Raw {
  if (signal.aborted) return { kind: "bad", detail: "hang: no end within the bound" };
  if (err instanceof OpenAI.APIConnectionError) return { kind: "cut", detail: `connection: ${String(err.cause ?? err.message)}` };
  if (err instanceof OpenAI.APIError) {
    return isErrorBody({ error: err.error }) ? { kind: "clean_error", detail: `${err.status ?? "stream"} ${String(err.code)}` } : { kind: "bad", detail: `API error without an OpenAI body: ${err.message}` };
  }
  if (err instanceof SyntaxError) return { kind: "bad", detail: `garbled: ${err.message}` };
  return { kind: "cut", detail: String((err as { cause?: unknown }).cause ?? err) };
}

/** Makes one request of the given style and classifies it. */
export async function oneChaosRequest(o: ChaosConsumerOptions, client: OpenAI, style: number): Promise<RequestRecord> {
  const kind = (["fetch", "openai", "openai"] as const)[style % 3] as "fetch" | "openai";
  const startedAt = Date.now();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), o.requestBoundMs);
  let raw: Raw;
  try {
    raw = style % 3 === 0 ? await fetchStream(o, controller.signal) : style % 3 === 1 ? await openaiStream(client, o, controller.signal) : await openaiPlain(client, o, controller.signal);
    if (controller.signal.aborted && raw.kind !== "completed") raw = { kind: "bad", detail: "hang: no end within the bound" };
  } catch (err) {
    raw = classifyThrown(err, controller.signal);
  } finally {
    clearTimeout(timer);
  }
  if (raw.kind === "cut") {
    const excused = o.coordinatorDownDuring(startedAt, Date.now());
    return { client: kind, outcome: excused ? "crash_cut" : "bad", detail: excused ? raw.detail : `cut while the coordinator was up: ${raw.detail}` };
  }
  return { client: kind, outcome: raw.kind, detail: raw.kind === "completed" ? "" : raw.detail };
}

/** Runs `concurrency` consumer loops until `until()` is false; every request is recorded. */
export async function runChaosConsumers(o: ChaosConsumerOptions, concurrency: number, until: () => boolean, pauseMs = 20): Promise<RequestRecord[]> {
  const records: RequestRecord[] = [];
  const client = new OpenAI({ apiKey: o.apiKey, baseURL: `${o.baseUrl}/v1`, maxRetries: 0, timeout: o.requestBoundMs * 2 });
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = worker; until(); i += concurrency) {
        const record = await oneChaosRequest(o, client, i);
        records.push(record);
        // A refused connection returns at once: a short pause keeps a down coordinator from
        // turning the loop into a busy spin.
        if (record.outcome !== "completed") await new Promise((r) => setTimeout(r, pauseMs * 5));
        else if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
      }
    }),
  );
  return records;
}
