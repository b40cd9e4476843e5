/**
 * `GET /v1/nodes/<address>/earnings`: a node's balances, its credits per hour (48 h) and per day
 * (30 d), and its credited jobs with their receipts, a page at a time. Only the node itself may
 * read them: the request carries the signing time (`x-offpeak-timestamp`, epoch ms) and the
 * node's EIP-712 EarningsRequest signature of `{node, timestamp, coordinator}` (`x-offpeak-signature`,
 * see earningsRequestTypedData); a signature by another key, for another coordinator, of another
 * struct (a login) or older than five minutes is refused.
 *
 * Query: `limit` (1–200, default 50), `cursor` (from the previous page), `since` (epoch ms: only
 * jobs credited from then on), `model` (whose price to report), `include` (comma-separated extras:
 * `refunded` lists credits refunded to their consumers, worth 0, with the reason; names this
 * coordinator does not know are ignored, so a newer node can ask an older one). Errors are
 * OpenAI-shaped JSON.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { verifyTypedData } from "viem";
import {
  EARNINGS_INCLUDE_REFUNDED,
  EARNINGS_PAGE_MAX,
  EARNINGS_REQUEST_MAX_AGE_MS,
  EARNINGS_SIGNATURE_HEADER,
  EARNINGS_TIMESTAMP_HEADER,
  type NodeEarningsReport,
} from "../shared/earnings-view";
import type { Logger } from "../shared/logger";
import type { ModelPrice } from "../shared/money";
import { earningsRequestTypedData } from "../shared/typed-data";
import type { Queryable } from "./db";
import { creditedJobs, creditSeries, decodeCursor, encodeCursor } from "./earnings-records";
import type { Ledger } from "./ledger";
import { errorBody, type OpenAiError } from "./openai-format";

/** What the earnings route reads. */
export interface EarningsApiDeps {
  readonly db: Queryable;
  readonly ledger: Pick<Ledger, "nodeEarnings" | "holdOf" | "verificationWindowMs">;
  readonly feeBps: number;
  /** The id nodes sign in their logins; an earnings request names it too. */
  readonly coordinatorId: string;
  readonly logger: Logger;
  price(model: string | null): ModelPrice;
  readonly clock: () => Date;
}

/** The path of a node's earnings, or null when `path` is not one. */
export function earningsPathAddress(path: string): string | null {
  const m = /^\/v1\/nodes\/([^/]+)\/earnings$/.exec(path);
  return m ? (m[1] ?? null) : null;
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly body: OpenAiError,
  ) {
    super(body.error.message);
  }
}

const bad = (message: string, code: string, param?: string) => new Refusal(400, errorBody(message, "invalid_request_error", code, param));
const unauthorized = (message: string, code: string) => new Refusal(401, errorBody(message, "invalid_request_error", code));

function header(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return typeof value === "string" ? value.trim() : null;
}

/** Checks the signed request; throws a Refusal saying what is wrong. */
async function authenticate(req: IncomingMessage, address: `0x${string}`, now: number, coordinatorId: string): Promise<void> {
  const stamp = header(req, EARNINGS_TIMESTAMP_HEADER);
  const signature = header(req, EARNINGS_SIGNATURE_HEADER);
  if (stamp === null || signature === null) {
    throw unauthorized(
      `Sign the request: send ${EARNINGS_TIMESTAMP_HEADER} (epoch milliseconds) and ${EARNINGS_SIGNATURE_HEADER} (the node's EIP-712 EarningsRequest signature of {node, timestamp, coordinator}).`,
      "missing_signature",
    );
  }
  if (!/^\d{1,15}$/.test(stamp)) throw bad(`${EARNINGS_TIMESTAMP_HEADER} must be a time in epoch milliseconds.`, "invalid_timestamp");
  if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) throw bad(`${EARNINGS_SIGNATURE_HEADER} must be a 65-byte hex signature.`, "invalid_signature");
  const timestamp = Number(stamp);
  if (Math.abs(now - timestamp) > EARNINGS_REQUEST_MAX_AGE_MS) {
    throw unauthorized("The signed request is stale: its timestamp is more than 5 minutes from the coordinator's clock. Sign a new one.", "stale_signature");
  }
  let valid = false;
  try {
    valid = await verifyTypedData({ address, ...earningsRequestTypedData(address, timestamp, coordinatorId), signature: signature as `0x${string}` });
  } catch {
    valid = false;
  }
  if (!valid) {
    throw unauthorized(
      `The signature is not this node's EarningsRequest for this coordinator: sign {node, timestamp, coordinator: ${JSON.stringify(coordinatorId)}} with the node's wallet key.`,
      "wrong_signer",
    );
  }
}

function intParam(params: URLSearchParams, name: string, min: number, max: number): number | null {
  const text = params.get(name);
  if (text === null) return null;
  const n = Number(text);
  if (!/^\d{1,15}$/.test(text) || n < min || n > max) throw bad(`'${name}' must be a whole number from ${min} to ${max}.`, "invalid_value", name);
  return n;
}

/** The extras named by `include` (unknown names are left out). */
function includes(params: URLSearchParams): Set<string> {
  const text = params.get("include");
  if (text === null) return new Set();
  if (text.length > 200 || !/^[a-z-]+(,[a-z-]+)*$/.test(text)) throw bad("'include' must be a comma-separated list of names, such as 'refunded'.", "invalid_value", "include");
  return new Set(text.split(","));
}

async function report(deps: EarningsApiDeps, address: string, params: URLSearchParams, now: Date): Promise<NodeEarningsReport> {
  const limit = intParam(params, "limit", 1, EARNINGS_PAGE_MAX) ?? 50;
  const since = intParam(params, "since", 0, Number.MAX_SAFE_INTEGER);
  const cursorText = params.get("cursor");
  const cursor = cursorText === null ? null : decodeCursor(cursorText);
  if (cursorText !== null && cursor === null) throw bad("'cursor' is not a cursor from a previous page.", "invalid_value", "cursor");
  const model = params.get("model");
  if (model !== null && (model.length === 0 || model.length > 200)) throw bad("'model' must be a model id.", "invalid_value", "model");
  const includeRefunded = includes(params).has(EARNINGS_INCLUDE_REFUNDED);
  const [earnings, hold, hourly, daily, page] = [
    await deps.ledger.nodeEarnings(address),
    await deps.ledger.holdOf(address),
    await creditSeries(deps.db, address, now, "hour", 48),
    await creditSeries(deps.db, address, now, "day", 30),
    await creditedJobs(deps.db, address, { limit, cursor, since, includeRefunded }),
  ];
  const price = deps.price(model);
  return {
    address,
    balances: {
      availableMicroUsd: Math.max(0, earnings.availableMicroUsd),
      pendingMicroUsd: Math.max(0, earnings.pendingMicroUsd),
      heldMicroUsd: Math.max(0, earnings.heldMicroUsd),
      withdrawnMicroUsd: earnings.withdrawnMicroUsd,
      lifetimeMicroUsd: Math.max(0, earnings.lifetimeMicroUsd),
      todayMicroUsd: Math.max(0, earnings.todayMicroUsd),
    },
    hold: hold ? { reason: hold.reason, since: hold.since.getTime() } : null,
    verificationWindowMs: deps.ledger.verificationWindowMs,
    feeBps: deps.feeBps,
    price: { inputMicroUsdPerMTok: price.inputMicroUsdPerMTok, outputMicroUsdPerMTok: price.outputMicroUsdPerMTok },
    hourly,
    daily,
    jobs: page.jobs,
    nextCursor: page.next ? encodeCursor(page.next) : null,
  };
}

/** Answers one request for `/v1/nodes/<addressText>/earnings`; never throws. */
export async function serveNodeEarnings(deps: EarningsApiDeps, req: IncomingMessage, res: ServerResponse, addressText: string): Promise<void> {
  const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
    if (res.headersSent || res.destroyed) return;
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", "content-length": Buffer.byteLength(text), ...headers });
    res.end(text);
  };
  try {
    if (req.method !== "GET") {
      send(405, errorBody(`Method ${req.method ?? ""} is not allowed on a node's earnings.`, "invalid_request_error", "method_not_allowed"), { allow: "GET" });
      return;
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(addressText);
    } catch {
      throw bad("The address in the path is not valid.", "invalid_address");
    }
    if (!/^0x[0-9a-fA-F]{40}$/.test(decoded)) throw bad("The address in the path must be an EVM address (0x + 40 hex digits).", "invalid_address");
    const address = decoded.toLowerCase() as `0x${string}`;
    const now = deps.clock();
    await authenticate(req, address, now.getTime(), deps.coordinatorId);
    const params = new URL(req.url ?? "/", "http://coordinator").searchParams;
    send(200, await report(deps, address, params, now));
  } catch (error) {
    if (error instanceof Refusal) return send(error.status, error.body);
    deps.logger.error("earnings request failed", { error: String(error) });
    send(500, errorBody("Internal error.", "server_error", "internal_error"));
  }
}
