/**
 * The control server's HTTP API, for the command line and scripts. Every route needs
 * `Authorization: Bearer <token>`; bodies are JSON and checked on arrival.
 *
 *   GET    /api/state              → NodeState
 *   POST   /api/sharing {on}       → NodeState
 *   GET    /api/settings           → Settings
 *   PATCH  /api/settings {…}       → Settings (a partial Settings; unknown keys are refused)
 *   GET    /api/models             → ModelsView
 *   POST   /api/models/pull {ref}  → 202 null (progress shows in the state's downloads)
 *   DELETE /api/models/:id         → null
 *   POST   /api/pause {until}      → NodeState (until: epoch ms, in the future, at most 7 days)
 *   POST   /api/resume             → NodeState
 *   GET    /api/diagnostics        → Diagnostics
 *   GET    /api/earnings?range=24h|7d|30d → EarningsView (balances, chart, jobs, reconciliation; default 24h)
 *   GET    /api/withdrawals/terms  → WithdrawalTermsView (fee, minimum, daily limit, available balance)
 *   GET    /api/withdrawals        → WithdrawalView[] (newest first)
 *   POST   /api/withdrawals {to, amountMicroUsd} → WithdrawalView (signed and sent to the coordinator; 422 when refused)
 *   POST   /api/appeal {statement}  → AppealView (the owner's appeal of a quarantine, signed and sent; 422 when refused)
 *   GET    /api/wallet             → WalletView (address, where the key lives, why it is not open)
 *   POST   /api/wallet/unlock      → WalletView (tries to open the wallet again)
 *   POST   /api/wallet/backup {"confirm": true}            → WalletBackup (the phrase; 400 without the confirmation)
 *   POST   /api/wallet/restore {"phrase": "…", "confirm": b} → WalletRestore (a preview until confirm is true)
 *
 * A bad body answers 400, an agent's refusal 409 (422 for a settings value it refuses), a
 * failure to read 503; every error body is {"error": "…"}.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { walletRestoreRequestSchema, type ControlApi, type Result } from "../../shared/control-api";
import { settingsPatchSchema } from "../../shared/settings";
import { earningsRangeSchema } from "../../shared/earnings-view";
import { withdrawalAskSchema } from "../../shared/withdrawal";

const MAX_BODY_BYTES = 4 * 1024;

const sharingBodySchema = z.object({ on: z.boolean() });
const pullBodySchema = z.object({ ref: z.string().min(1).max(2000) });
const modelIdSchema = z.string().min(1).max(2000);
const pauseBodySchema = z.object({ until: z.number().int().positive() });
const backupBodySchema = z.object({ confirm: z.literal(true) });
const appealBodySchema = z.object({ statement: z.string() });

/** The first problem zod found, as "field: message". */
export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "bad value";
  const where = issue.path.join(".");
  return where === "" ? issue.message : `${where}: ${issue.message}`;
}

/** Compares two secrets in constant time (hashing first so lengths never leak). */
export function sameSecret(a: string, b: string): boolean {
  const ha = createHash("sha256").update(a).digest();
  const hb = createHash("sha256").update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** The token of an `Authorization: Bearer …` header, or null. */
function bearerToken(req: IncomingMessage): string | null {
  const header = req.headers.authorization;
  if (typeof header !== "string") return null;
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  return m?.[1] ?? null;
}

/** Sends a JSON body that is never cached. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" });
  res.end(JSON.stringify(body));
}

/** The body as text, or null when it is larger than `limit` bytes or the request fails. */
function readBody(req: IncomingMessage, limit: number): Promise<string | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on("data", (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (!done) resolve(Buffer.concat(chunks).toString("utf8"));
    });
    req.on("error", () => resolve(null));
  });
}

/** Builds the handler of `/api/*` requests for this agent and session token. */
export function createApiHandler(
  control: ControlApi,
  token: string,
): (req: IncomingMessage, res: ServerResponse, pathname: string) => Promise<void> {
  /** Sends a Result: the value with `status`, or the agent's error with `errorStatus`. */
  function replyResult(res: ServerResponse, result: Result<unknown>, errorStatus: number, status = 200): void {
    if (result.ok) sendJson(res, status, result.value);
    else sendJson(res, errorStatus, { error: result.error });
  }

  /** The request's JSON body, or undefined when it is missing, too large or not JSON. */
  async function jsonBody(req: IncomingMessage): Promise<unknown> {
    const text = await readBody(req, MAX_BODY_BYTES);
    if (text === null) return undefined;
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    const given = bearerToken(req);
    if (given === null || !sameSecret(given, token)) {
      res.setHeader("WWW-Authenticate", "Bearer");
      sendJson(res, 401, { error: "missing or wrong token" });
      return;
    }
    const method = req.method ?? "GET";
    const refuseMethod = (allowed: string): void => {
      res.setHeader("Allow", allowed);
      sendJson(res, 405, { error: `use ${allowed} on ${pathname}` });
    };

    if (pathname === "/api/state") {
      if (method !== "GET") return refuseMethod("GET");
      return replyResult(res, await control.getState(), 503);
    }
    if (pathname === "/api/sharing") {
      if (method !== "POST") return refuseMethod("POST");
      const body = sharingBodySchema.safeParse(await jsonBody(req));
      if (!body.success) return sendJson(res, 400, { error: 'expected a JSON body {"on": true|false}' });
      return replyResult(res, await control.setSharing(body.data.on), 503);
    }
    if (pathname === "/api/settings") {
      if (method === "GET") return replyResult(res, await control.getSettings(), 503);
      if (method !== "PATCH") return refuseMethod("GET, PATCH");
      const body = settingsPatchSchema.safeParse(await jsonBody(req));
      if (!body.success) return sendJson(res, 400, { error: `invalid settings: ${firstIssue(body.error)}` });
      return replyResult(res, await control.updateSettings(body.data), 422);
    }
    if (pathname === "/api/pause") {
      if (method !== "POST") return refuseMethod("POST");
      const body = pauseBodySchema.safeParse(await jsonBody(req));
      if (!body.success) return sendJson(res, 400, { error: 'expected a JSON body {"until": <epoch milliseconds>}' });
      return replyResult(res, await control.pause(body.data.until), 422);
    }
    if (pathname === "/api/resume") {
      if (method !== "POST") return refuseMethod("POST");
      return replyResult(res, await control.resume(), 409);
    }
    if (pathname === "/api/diagnostics") {
      if (method !== "GET") return refuseMethod("GET");
      return replyResult(res, await control.getDiagnostics(), 503);
    }
    if (pathname === "/api/earnings") {
      if (method !== "GET") return refuseMethod("GET");
      const range = earningsRangeSchema.safeParse(new URL(req.url ?? "/", "http://node").searchParams.get("range") ?? "24h");
      if (!range.success) return sendJson(res, 400, { error: "expected ?range=24h, 7d or 30d" });
      return replyResult(res, await control.getEarnings(range.data), 503);
    }
    if (pathname === "/api/withdrawals/terms") {
      if (method !== "GET") return refuseMethod("GET");
      return replyResult(res, await control.getWithdrawalTerms(), 503);
    }
    if (pathname === "/api/withdrawals") {
      if (method === "GET") return replyResult(res, await control.listWithdrawals(), 503);
      if (method !== "POST") return refuseMethod("GET, POST");
      const body = withdrawalAskSchema.safeParse(await jsonBody(req));
      if (!body.success) return sendJson(res, 400, { error: 'expected a JSON body {"to": "0x…", "amountMicroUsd": <whole number>}' });
      return replyResult(res, await control.withdraw(body.data), 422);
    }
    if (pathname === "/api/appeal") {
      if (method !== "POST") return refuseMethod("POST");
      const body = appealBodySchema.safeParse(await jsonBody(req));
      if (!body.success) return sendJson(res, 400, { error: 'expected a JSON body {"statement": "<why the quarantine is wrong>"}' });
      return replyResult(res, await control.appeal(body.data.statement), 422);
    }
    if (pathname === "/api/wallet") {
      if (method !== "GET") return refuseMethod("GET");
      return replyResult(res, await control.getWallet(), 503);
    }
    if (pathname === "/api/wallet/unlock") {
      if (method !== "POST") return refuseMethod("POST");
      return replyResult(res, await control.unlockWallet(), 503);
    }
    if (pathname === "/api/wallet/backup") {
      if (method !== "POST") return refuseMethod("POST");
      const body = backupBodySchema.safeParse(await jsonBody(req));
      if (!body.success) return sendJson(res, 400, { error: 'showing the backup phrase needs the owner\'s confirmation: send {"confirm": true}' });
      return replyResult(res, await control.backupWallet(body.data.confirm), 409);
    }
    if (pathname === "/api/wallet/restore") {
      if (method !== "POST") return refuseMethod("POST");
      const body = walletRestoreRequestSchema.safeParse(await jsonBody(req));
      if (!body.success) return sendJson(res, 400, { error: 'expected a JSON body {"phrase": "<backup phrase>", "confirm": true|false}' });
      return replyResult(res, await control.restoreWallet(body.data), 422);
    }
    if (pathname === "/api/models") {
      if (method !== "GET") return refuseMethod("GET");
      return replyResult(res, await control.listModels(), 503);
    }
    if (pathname === "/api/models/pull") {
      if (method !== "POST") return refuseMethod("POST");
      const body = pullBodySchema.safeParse(await jsonBody(req));
      if (!body.success) return sendJson(res, 400, { error: 'expected a JSON body {"ref": "<catalog id, hf: URI or URL>"}' });
      return replyResult(res, await control.pullModel(body.data.ref), 409, 202);
    }
    if (pathname.startsWith("/api/models/")) {
      if (method !== "DELETE") return refuseMethod("DELETE");
      let id: string;
      try {
        id = decodeURIComponent(pathname.slice("/api/models/".length));
      } catch {
        return sendJson(res, 400, { error: "bad model id" });
      }
      const parsed = modelIdSchema.safeParse(id);
      if (!parsed.success) return sendJson(res, 400, { error: "bad model id" });
      return replyResult(res, await control.removeModel(parsed.data), 409);
    }
    sendJson(res, 404, { error: "no such API" });
  }

  return handleApi;
}
