/**
 * The coordinator's HTTP side: the OpenAI-compatible API for consumers (models, completions,
 * chat completions, streamed or not), the admin API, and the health check.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { encodeCoordinatorMessage, MAX_FRAME_BYTES } from "../shared/protocol";
import { jobCostMicroUsd, type ModelPrice } from "../shared/money";
import type { Logger } from "../shared/logger";
import type { Database } from "./db";
import type { Ledger } from "./ledger";
import { createApiKey, findApiKey, secretsEqual } from "./api-keys";
import { isKnownModel } from "./model-catalog";
import { parseChatRequest, parseCompletionRequest, promptTokenUpperBound, type ParsedRequest } from "./openai-request";
import {
  chatChunk,
  chatResponse,
  completionChunk,
  completionResponse,
  errorBody,
  openAiFinishReason,
  sseData,
  SSE_DONE,
  sseError,
  usageChunk,
  usageOf,
  type OpenAiError,
  type ResponseMeta,
} from "./openai-format";
import { runJob, type DispatcherDeps } from "./job-dispatcher";

/** Largest request body accepted, in bytes. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** What the HTTP API works with. */
export interface HttpApiDeps {
  readonly db: Database;
  readonly ledger: Ledger;
  readonly logger: Logger;
  readonly adminToken: string;
  readonly dispatcher: DispatcherDeps;
  price(model: string): ModelPrice;
  servedModels(): string[];
  readonly clock: () => Date;
}

const adminKeyBody = z.object({
  creditMicroUsd: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  name: z.string().max(200).optional(),
});

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: OpenAiError,
    readonly headers: Record<string, string> = {},
  ) {
    super(body.error.message);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? "0");
    if (declared > MAX_BODY_BYTES) return reject(tooLarge());
    const parts: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners("data");
        req.resume();
        reject(tooLarge());
        return;
      }
      parts.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(parts)));
    req.on("error", reject);
  });
}

function tooLarge(): HttpError {
  return new HttpError(413, errorBody(`Request body is larger than ${MAX_BODY_BYTES} bytes.`, "invalid_request_error", "request_too_large"));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const body = await readBody(req);
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    throw new HttpError(400, errorBody("The request body is not valid JSON.", "invalid_request_error", "invalid_json"));
  }
}

function bearer(req: IncomingMessage): string | null {
  const header = req.headers.authorization;
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? (m[1] ?? null) : null;
}

/** Serves the HTTP routes; every error becomes an OpenAI error body, never a crash. */
export class HttpApi {
  constructor(private readonly deps: HttpApiDeps) {}

  /** Entry point for node's `http` server. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    res.on("error", () => {});
    this.route(req, res).catch((err: unknown) => {
      if (err instanceof HttpError) return sendJson(res, err.status, err.body, err.headers);
      this.deps.logger.error("request failed", { path: req.url?.split("?")[0], error: String(err) });
      if (!res.headersSent) sendJson(res, 500, errorBody("Internal error.", "server_error", "internal_error"));
      else res.end();
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const method = req.method ?? "GET";
    const routes: Record<string, Record<string, () => Promise<void>>> = {
      "/healthz": { GET: async () => sendJson(res, 200, { ok: true }) },
      "/v1/models": { GET: () => this.models(req, res) },
      "/v1/completions": { POST: () => this.completion("completion", req, res) },
      "/v1/chat/completions": { POST: () => this.completion("chat", req, res) },
      "/admin/keys": { POST: () => this.adminCreateKey(req, res) },
    };
    const route = routes[path];
    if (!route) throw new HttpError(404, errorBody(`Unknown route: ${method} ${path}`, "invalid_request_error", "unknown_url"));
    const handler = route[method];
    if (!handler) {
      throw new HttpError(405, errorBody(`Method ${method} is not allowed on ${path}.`, "invalid_request_error", "method_not_allowed"), {
        allow: Object.keys(route).join(", "),
      });
    }
    await handler();
  }

  private async consumer(req: IncomingMessage): Promise<{ id: string; accountId: string }> {
    const key = bearer(req);
    const found = key ? await findApiKey(this.deps.db, key) : null;
    if (!found) {
      throw new HttpError(
        401,
        errorBody(key ? "Incorrect API key provided." : "Missing API key: send it as 'Authorization: Bearer <key>'.", "invalid_request_error", "invalid_api_key"),
      );
    }
    return found;
  }

  private async models(req: IncomingMessage, res: ServerResponse): Promise<void> {
    await this.consumer(req);
    const served = new Set(this.deps.servedModels());
    const { rows } = await this.deps.db.query<{ id: string; first_seen: Date | string }>(`SELECT id, first_seen FROM models ORDER BY id`);
    const data = rows
      .filter((r) => served.has(r.id))
      .map((r) => ({ id: r.id, object: "model", created: Math.floor(new Date(r.first_seen).getTime() / 1000), owned_by: "offpeak" }));
    sendJson(res, 200, { object: "list", data });
  }

  private async adminCreateKey(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const token = bearer(req);
    if (!token || !secretsEqual(token, this.deps.adminToken)) {
      throw new HttpError(401, errorBody("Admin token required.", "invalid_request_error", "invalid_api_key"));
    }
    const parsed = adminKeyBody.safeParse(await readJson(req));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new HttpError(400, errorBody(`Invalid body: ${issue?.path.join(".") ?? ""} ${issue?.message ?? ""}`.trim(), "invalid_request_error", "invalid_body"));
    }
    const created = await createApiKey(this.deps.db, parsed.data.creditMicroUsd, parsed.data.name, this.deps.clock());
    this.deps.logger.info("consumer key created", { keyId: created.id, creditMicroUsd: parsed.data.creditMicroUsd });
    sendJson(res, 201, created);
  }

  private async completion(kind: "completion" | "chat", req: IncomingMessage, res: ServerResponse): Promise<void> {
    const consumer = await this.consumer(req);
    const body = await readJson(req);
    const parsed = kind === "chat" ? parseChatRequest(body) : parseCompletionRequest(body);
    if (!parsed.ok) throw new HttpError(400, errorBody(parsed.error.message, "invalid_request_error", "invalid_value", parsed.error.param));
    const request = parsed.value;
    if (!(await isKnownModel(this.deps.db, request.model)) && !this.deps.servedModels().includes(request.model)) {
      throw new HttpError(404, errorBody(`The model '${request.model}' does not exist.`, "invalid_request_error", "model_not_found", "model"));
    }
    const jobId = `job_${randomBytes(12).toString("base64url")}`;
    const jobFrame = { type: "job" as const, jobId, model: request.model, input: request.input, sampling: request.sampling };
    if (Buffer.byteLength(encodeCoordinatorMessage(jobFrame)) > MAX_FRAME_BYTES) {
      throw new HttpError(400, errorBody("The prompt is too large.", "invalid_request_error", "context_length_exceeded", kind === "chat" ? "messages" : "prompt"));
    }
    const promptTokenBound = promptTokenUpperBound(request.input);
    const reserve = jobCostMicroUsd(this.deps.price(request.model), promptTokenBound, request.sampling.maxTokens);
    const reserved = await this.deps.ledger.reserveJob({ jobId, consumerAccountId: consumer.accountId, model: request.model, amountMicroUsd: reserve });
    if (!reserved) {
      throw new HttpError(
        402,
        errorBody("You exceeded your current quota: the balance of this key does not cover this request's worst-case cost.", "insufficient_quota", "insufficient_quota"),
      );
    }
    this.deps.logger.info("job accepted", { jobId, keyId: consumer.id, model: request.model, kind, stream: request.stream, reserveMicroUsd: reserve });
    await this.serveJob(kind, request, jobId, promptTokenBound, res);
  }

  private async serveJob(kind: "completion" | "chat", request: ParsedRequest, jobId: string, promptTokenBound: number, res: ServerResponse): Promise<void> {
    const meta: ResponseMeta = {
      id: `${kind === "chat" ? "chatcmpl" : "cmpl"}-${jobId.slice(4)}`,
      created: Math.floor(this.deps.clock().getTime() / 1000),
      model: request.model,
      includeUsage: request.includeUsage,
    };
    const abort = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) abort.abort();
    });
    let started = false;
    const write = (text: string) => {
      if (!res.destroyed && !res.writableEnded) res.write(text);
    };
    const start = () => {
      if (started) return;
      started = true;
      res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive" });
      res.flushHeaders();
      if (kind === "chat") write(sseData(chatChunk(meta, { role: "assistant", content: "" }, null)));
    };
    const onText = (text: string) => {
      if (!request.stream) return;
      start();
      write(sseData(kind === "chat" ? chatChunk(meta, { content: text }, null) : completionChunk(meta, text, null)));
    };
    const outcome = await runJob(
      this.deps.dispatcher,
      { jobId, model: request.model, input: request.input, sampling: request.sampling, promptTokenBound },
      onText,
      abort.signal,
    );
    if (abort.signal.aborted || res.destroyed) return;
    if (!outcome.ok) {
      if (started) {
        write(sseError(outcome.error));
        res.end();
        return;
      }
      const headers: Record<string, string> = outcome.retryAfterSeconds ? { "retry-after": String(outcome.retryAfterSeconds) } : {};
      sendJson(res, outcome.status, outcome.error, headers);
      return;
    }
    const usage = usageOf(outcome.promptTokens, outcome.completionTokens);
    const finish = openAiFinishReason(outcome.finishReason);
    if (!request.stream) {
      sendJson(res, 200, kind === "chat" ? chatResponse(meta, outcome.text, finish, usage) : completionResponse(meta, outcome.text, finish, usage));
      return;
    }
    start();
    write(sseData(kind === "chat" ? chatChunk(meta, {}, finish) : completionChunk(meta, "", finish)));
    if (request.includeUsage) write(sseData(usageChunk(meta, kind, usage)));
    write(SSE_DONE);
    res.end();
  }
}
