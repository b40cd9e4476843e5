/**
 * The coordinator's HTTP side: the OpenAI-compatible API for consumers (models, completions,
 * chat completions, streamed or not, each key rate-limited; its usage), the admin API
 * (admin-api.ts), the metrics, the health check, and the id nodes name in their signed requests.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { randomBytes } from "node:crypto";
import { encodeCoordinatorMessage, MAX_FRAME_BYTES } from "../shared/protocol";
import { jobCostMicroUsd, type ModelPrice } from "../shared/money";
import type { Logger } from "../shared/logger";
import { COORDINATOR_IDENTITY_PATH } from "../shared/typed-data";
import type { Database } from "./db";
import type { Ledger } from "./ledger";
import { findApiKey, secretsEqual, type ApiKeyOwner } from "./api-keys";
import { isKnownModel } from "./model-catalog";
import { retryOnConnectionLoss } from "./db-retry";
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
  type ResponseMeta,
} from "./openai-format";
import { runJob, type DispatcherDeps, type JobSpec } from "./job-dispatcher";
import { MAX_PARTS } from "./failover";
import { earningsPathAddress, serveNodeEarnings, type EarningsApiDeps } from "./earnings-api";
import { bearer, HttpError, readJson, sendJson } from "./http-util";
import type { AdminApi } from "./admin-api";
import type { RateLimiter } from "./rate-limit";
import { keyUsage, MAX_USAGE_DAYS } from "./consumer-usage";
import type { CoordinatorMetrics } from "./metrics";

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
  /** The id nodes sign in their requests, told at COORDINATOR_IDENTITY_PATH (absent: the route is not served). */
  readonly coordinatorId?: string;
  /** The withdrawal routes (see withdrawal-routes.ts) for one request. */
  readonly withdrawalRoutes?: (req: IncomingMessage, res: ServerResponse) => Record<string, Record<string, () => Promise<void>>>;
  /** The nodes' appeal routes (see appeal-routes.ts) for one request. */
  readonly appealRoutes?: (req: IncomingMessage, res: ServerResponse) => Record<string, Record<string, () => Promise<void>>>;
  /** The nodes' signed earnings route, `/v1/nodes/<address>/earnings`. */
  readonly earnings?: EarningsApiDeps;
  /** The `/admin/…` routes. */
  readonly admin?: AdminApi;
  /** Per-key request limits, and the rate of a key that has none of its own. */
  readonly limits?: { readonly limiter: RateLimiter; readonly defaultRatePerMinute: number };
  /** The Prometheus metrics: `GET /metrics`, fed by every job. */
  readonly metrics?: Pick<CoordinatorMetrics, "contentType" | "text" | "observeJob">;
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
      "/v1/usage": { GET: () => this.usage(req, res) },
      ...(this.deps.metrics ? { "/metrics": { GET: () => this.metricsText(req, res) } } : {}),
      ...(this.deps.coordinatorId === undefined ? {} : { [COORDINATOR_IDENTITY_PATH]: { GET: async () => sendJson(res, 200, { coordinatorId: this.deps.coordinatorId }) } }),
      ...this.deps.withdrawalRoutes?.(req, res),
      ...this.deps.appealRoutes?.(req, res),
    };
    if (path.startsWith("/admin/") && this.deps.admin) return this.deps.admin.handle(req, res, path, method);
    const earningsAddress = earningsPathAddress(path);
    if (earningsAddress !== null && this.deps.earnings) return serveNodeEarnings(this.deps.earnings, req, res, earningsAddress);
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

  private async consumer(req: IncomingMessage): Promise<ApiKeyOwner> {
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

  private async usage(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const consumer = await this.consumer(req);
    const raw = new URL(req.url ?? "/", "http://coordinator").searchParams.get("days");
    const days = raw === null ? 30 : Number(raw);
    if (!Number.isInteger(days) || days < 1 || days > MAX_USAGE_DAYS) {
      throw new HttpError(400, errorBody(`days must be a whole number from 1 to ${MAX_USAGE_DAYS}.`, "invalid_request_error", "invalid_value", "days"));
    }
    sendJson(res, 200, await keyUsage(this.deps.db, consumer, days, this.deps.clock()));
  }

  /** The metrics, for a scraper holding the admin token (`authorization: Bearer …`). */
  private async metricsText(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const metrics = this.deps.metrics;
    if (!metrics) return;
    const token = bearer(req);
    if (!token || !secretsEqual(token, this.deps.adminToken)) throw new HttpError(401, errorBody("Admin token required.", "invalid_request_error", "invalid_api_key"));
    const text = await metrics.text();
    res.writeHead(200, { "content-type": metrics.contentType, "content-length": Buffer.byteLength(text) });
    res.end(text);
  }

  /** Takes one request from the key's bucket, or refuses it with 429 and Retry-After. */
  private limit(consumer: ApiKeyOwner): void {
    const limits = this.deps.limits;
    if (!limits) return;
    const rate = consumer.ratePerMinute ?? limits.defaultRatePerMinute;
    const taken = limits.limiter.take(consumer.id, rate);
    if (taken.ok) return;
    throw new HttpError(
      429,
      errorBody(`Rate limit reached for this key: ${rate} requests per minute; try again in ${taken.retryAfterSeconds} s.`, "requests", "rate_limit_exceeded"),
      { "retry-after": String(taken.retryAfterSeconds) },
    );
  }

  private async completion(kind: "completion" | "chat", req: IncomingMessage, res: ServerResponse): Promise<void> {
    const consumer = await this.consumer(req);
    this.limit(consumer);
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
    const listPrice = this.deps.price(request.model);
    const maxPrice: ModelPrice = {
      inputMicroUsdPerMTok: request.maxPrice.input ?? listPrice.inputMicroUsdPerMTok,
      outputMicroUsdPerMTok: request.maxPrice.output ?? listPrice.outputMicroUsdPerMTok,
    };
    // The worst case at the consumer's cap; each part of a failed-over answer rounds up on its
    // own, hence one µUSD per possible part on top.
    const reserve = jobCostMicroUsd(maxPrice, promptTokenBound, request.sampling.maxTokens) + MAX_PARTS;
    const reserved = await this.reserve(jobId, consumer.accountId, request.model, reserve);
    if (!reserved) {
      throw new HttpError(
        402,
        errorBody("You exceeded your current quota: the balance of this key does not cover this request's worst-case cost.", "insufficient_quota", "insufficient_quota"),
      );
    }
    this.deps.logger.info("job accepted", { jobId, keyId: consumer.id, model: request.model, kind, stream: request.stream, reserveMicroUsd: reserve });
    await this.serveJob(kind, request, { jobId, model: request.model, input: request.input, sampling: request.sampling, promptTokenBound, listPrice, maxPrice }, res);
  }

  /**
   * Reserves the job's worst case. When the database fails mid-way the hold may or may not have
   * been taken; the job is closed (a no-op if it never opened) so no reservation outlives the
   * request, and the consumer gets the error.
   */
  private async reserve(jobId: string, accountId: string, model: string, amountMicroUsd: number): Promise<boolean> {
    try {
      return await this.deps.ledger.reserveJob({ jobId, consumerAccountId: accountId, model, amountMicroUsd });
    } catch (err) {
      await retryOnConnectionLoss(() => this.deps.ledger.releaseJob(jobId, "failed", "the reservation's outcome was lost with the database connection")).catch((releaseErr: unknown) =>
        this.deps.logger.error("could not close a job whose reservation failed", { jobId, error: String(releaseErr) }),
      );
      throw err;
    }
  }

  private async serveJob(kind: "completion" | "chat", request: ParsedRequest, spec: JobSpec, res: ServerResponse): Promise<void> {
    const { jobId } = spec;
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
    const acceptedAt = performance.now();
    let firstTokenAt: number | null = null;
    const onText = (text: string) => {
      firstTokenAt ??= performance.now();
      if (!request.stream) return;
      start();
      write(sseData(kind === "chat" ? chatChunk(meta, { content: text }, null) : completionChunk(meta, text, null)));
    };
    const outcome = await runJob(this.deps.dispatcher, spec, onText, abort.signal);
    this.deps.metrics?.observeJob(kind, outcome, (performance.now() - acceptedAt) / 1000, firstTokenAt === null ? null : (firstTokenAt - acceptedAt) / 1000);
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
