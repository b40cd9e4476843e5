/**
 * The withdrawal routes of the coordinator's HTTP API:
 *
 *   GET  /v1/withdrawals/terms   → WithdrawalTerms (public)
 *   POST /v1/nodes/withdrawals   → 201 WithdrawalReply (a new one), 200 (the same request again)
 *   GET  /v1/nodes/withdrawals   → WithdrawalHistory, for the node that signed the read
 *                                  (headers x-offpeak-node, x-offpeak-deadline, x-offpeak-signature)
 *
 * Errors are OpenAI-style bodies like the rest of the API; a coordinator without payouts
 * configured answers 503 withdrawals_disabled.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { NODE_AUTH_HEADERS } from "../shared/withdrawal";
import type { Logger } from "../shared/logger";
import { errorBody } from "./openai-format";
import type { Withdrawals, WithdrawalRefusal } from "./withdrawals";

const MAX_BODY_BYTES = 8 * 1024;

/** A route table in the shape HttpApi merges into its own. */
export type RouteTable = Record<string, Record<string, () => Promise<void>>>;

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), "cache-control": "no-store" });
  res.end(text);
}

function sendRefusal(res: ServerResponse, refusal: WithdrawalRefusal): void {
  const type = refusal.status === 401 ? "authentication_error" : refusal.status >= 500 ? "server_error" : "invalid_request_error";
  send(res, refusal.status, errorBody(refusal.message, type, refusal.code, refusal.param ?? null));
}

/** The body as JSON; undefined when it is too large, unreadable or not JSON. */
function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on("data", (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        done = true;
        req.resume();
        resolve(undefined);
        return;
      }
      parts.push(chunk);
    });
    req.on("end", () => {
      if (done) return;
      try {
        resolve(JSON.parse(Buffer.concat(parts).toString("utf8")));
      } catch {
        resolve(undefined);
      }
    });
    req.on("error", () => resolve(undefined));
  });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === "string" ? value.trim() : undefined;
}

/** The withdrawal routes over `withdrawals`, or routes that say withdrawals are off when it is null. */
export function withdrawalRoutes(withdrawals: Withdrawals | null, logger: Logger, req: IncomingMessage, res: ServerResponse): RouteTable {
  const disabled = async () =>
    send(res, 503, errorBody("This coordinator does not pay out withdrawals: its operator has not configured a payout chain.", "server_error", "withdrawals_disabled"));
  if (withdrawals === null) {
    return { "/v1/withdrawals/terms": { GET: disabled }, "/v1/nodes/withdrawals": { GET: disabled, POST: disabled } };
  }
  return {
    "/v1/withdrawals/terms": { GET: async () => send(res, 200, withdrawals.terms) },
    "/v1/nodes/withdrawals": {
      POST: async () => {
        const body = await readJson(req);
        if (body === undefined) {
          send(res, 400, errorBody(`The body must be a JSON withdrawal request of at most ${MAX_BODY_BYTES} bytes.`, "invalid_request_error", "invalid_json"));
          return;
        }
        const outcome = await withdrawals.request(body);
        if (!outcome.ok) {
          logger.info("withdrawal refused", { code: outcome.code });
          return sendRefusal(res, outcome);
        }
        const w = outcome.reply.withdrawal;
        if (outcome.status === 201) logger.info("withdrawal requested", { id: w.id, amountMicroUsd: w.amountMicroUsd, feeMicroUsd: w.feeMicroUsd });
        send(res, outcome.status, outcome.reply);
      },
      GET: async () => {
        const auth = await withdrawals.authenticateRead(
          header(req, NODE_AUTH_HEADERS.node),
          header(req, NODE_AUTH_HEADERS.deadline),
          header(req, NODE_AUTH_HEADERS.signature),
        );
        if (!auth.ok) return sendRefusal(res, auth);
        send(res, 200, await withdrawals.history(auth.node));
      },
    },
  };
}
