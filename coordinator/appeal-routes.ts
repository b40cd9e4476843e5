/**
 * The nodes' appeal routes of the coordinator's HTTP API:
 *
 *   POST /v1/nodes/appeal    {node, statement, timestamp, signature} → 201 AppealView
 *   GET  /v1/nodes/standing  → StandingReport, for the node that signed the read
 *                              (headers x-offpeak-node, x-offpeak-timestamp, x-offpeak-signature)
 *
 * Both are signed with the node's wallet key for this coordinator's id (EIP-712 `Appeal` and
 * `ReadStanding`), at most five minutes from the coordinator's clock. An appeal is taken only
 * while the node is quarantined, one open at a time, a few per quarantine, and each address and
 * each client may try only so often. Errors are OpenAI-style bodies like the rest of the API.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { verifyTypedData } from "viem";
import { APPEAL_PATH, APPEAL_SIGNATURE_MAX_AGE_MS, appealRequestSchema, STANDING_HEADERS, STANDING_PATH } from "../shared/appeal";
import type { Logger } from "../shared/logger";
import { appealTypedData, standingReadTypedData } from "../shared/typed-data";
import { fileAppeal, standingOf } from "./appeals";
import type { Database } from "./db";
import { HttpError, parseBody, readJson, sendJson } from "./http-util";
import { errorBody } from "./openai-format";
import type { RateLimiter } from "./rate-limit";
import type { RouteTable } from "./withdrawal-routes";

/** Tries per minute: per client address before a signature is checked, per node after. */
export const APPEAL_TRIES_PER_MINUTE = { client: 30, node: 6 } as const;

/** What the routes work with. */
export interface AppealRouteDeps {
  readonly db: Database;
  readonly coordinatorId: string;
  readonly appealWindowMs: number;
  readonly limiter: RateLimiter;
  readonly logger: Logger;
  readonly clock: () => Date;
  /** Called after an appeal was filed (the node's standing changed). */
  readonly onFiled?: (address: string) => void;
}

const unauthorized = (message: string, code: string) => new HttpError(401, errorBody(message, "invalid_request_error", code));

function limit(deps: AppealRouteDeps, key: string, perMinute: number): void {
  const taken = deps.limiter.take(key, perMinute);
  if (taken.ok) return;
  throw new HttpError(429, errorBody(`Too many appeal requests; try again in ${taken.retryAfterSeconds} s.`, "requests", "rate_limit_exceeded"), {
    "retry-after": String(taken.retryAfterSeconds),
  });
}

function fresh(deps: AppealRouteDeps, timestamp: number): void {
  if (Math.abs(deps.clock().getTime() - timestamp) > APPEAL_SIGNATURE_MAX_AGE_MS) {
    throw unauthorized("The signed request is stale: its timestamp is more than 5 minutes from the coordinator's clock. Sign a new one.", "stale_signature");
  }
}

/** Whether `check` (a signature verification) says yes; a malformed signature is a no. */
async function verified(check: () => Promise<boolean>): Promise<boolean> {
  try {
    return await check();
  } catch {
    return false;
  }
}

async function postAppeal(deps: AppealRouteDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  limit(deps, `appeal-client:${req.socket.remoteAddress ?? "unknown"}`, APPEAL_TRIES_PER_MINUTE.client);
  const body = parseBody(appealRequestSchema, await readJson(req));
  const node = body.node.toLowerCase() as `0x${string}`;
  fresh(deps, body.timestamp);
  const typed = appealTypedData(node, body.statement, body.timestamp, deps.coordinatorId);
  if (!(await verified(() => verifyTypedData({ address: node, ...typed, signature: body.signature as `0x${string}` })))) {
    throw unauthorized(
      `The signature is not this node's Appeal for this coordinator: sign {node, statement, timestamp, coordinator: ${JSON.stringify(deps.coordinatorId)}} with the node's wallet key.`,
      "wrong_signer",
    );
  }
  limit(deps, `appeal-node:${node}`, APPEAL_TRIES_PER_MINUTE.node);
  const filed = await fileAppeal(deps.db, { address: node, statement: body.statement, signedAt: body.timestamp, signature: body.signature, at: deps.clock() });
  if (!filed.ok) throw new HttpError(409, errorBody(filed.message, "invalid_request_error", filed.code));
  deps.logger.info("appeal filed", { address: node, appealId: filed.appeal.id });
  deps.onFiled?.(node);
  sendJson(res, 201, filed.appeal, { "cache-control": "no-store" });
}

function header(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return typeof value === "string" ? value.trim() : null;
}

async function getStanding(deps: AppealRouteDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  limit(deps, `standing-client:${req.socket.remoteAddress ?? "unknown"}`, APPEAL_TRIES_PER_MINUTE.client * 4);
  const [nodeText, stamp, signature] = [header(req, STANDING_HEADERS.node), header(req, STANDING_HEADERS.timestamp), header(req, STANDING_HEADERS.signature)];
  if (nodeText === null || stamp === null || signature === null) {
    throw unauthorized(`Sign the read: send ${Object.values(STANDING_HEADERS).join(", ")} (the node's EIP-712 ReadStanding signature of {node, timestamp, coordinator}).`, "missing_signature");
  }
  if (!/^0x[0-9a-fA-F]{40}$/.test(nodeText)) throw new HttpError(400, errorBody(`${STANDING_HEADERS.node} must be an EVM address.`, "invalid_request_error", "invalid_address"));
  if (!/^\d{1,15}$/.test(stamp)) throw new HttpError(400, errorBody(`${STANDING_HEADERS.timestamp} must be a time in epoch milliseconds.`, "invalid_request_error", "invalid_timestamp"));
  if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) throw new HttpError(400, errorBody(`${STANDING_HEADERS.signature} must be a 65-byte hex signature.`, "invalid_request_error", "invalid_signature"));
  const node = nodeText.toLowerCase() as `0x${string}`;
  fresh(deps, Number(stamp));
  const typed = standingReadTypedData(node, Number(stamp), deps.coordinatorId);
  if (!(await verified(() => verifyTypedData({ address: node, ...typed, signature: signature as `0x${string}` })))) {
    throw unauthorized("The signature is not this node's ReadStanding for this coordinator.", "wrong_signer");
  }
  sendJson(res, 200, await standingOf(deps.db, node, deps.appealWindowMs), { "cache-control": "no-store" });
}

/** The appeal routes, in the shape HttpApi merges into its own. */
export function appealRoutes(deps: AppealRouteDeps, req: IncomingMessage, res: ServerResponse): RouteTable {
  return {
    [APPEAL_PATH]: { POST: () => postAppeal(deps, req, res) },
    [STANDING_PATH]: { GET: () => getStanding(deps, req, res) },
  };
}
