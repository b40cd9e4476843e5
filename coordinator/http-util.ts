/**
 * Small HTTP helpers shared by the coordinator's routes: JSON bodies (bounded), JSON answers,
 * the bearer token, and an error type that carries its OpenAI error body.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { errorBody, type OpenAiError } from "./openai-format";

/** Largest request body accepted, in bytes. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** An error answered with `status` and an OpenAI error body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: OpenAiError,
    readonly headers: Record<string, string> = {},
  ) {
    super(body.error.message);
  }
}

/** Sends `body` as JSON (unless the response already started or the socket is gone). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
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

/** Reads and parses a JSON body of at most MAX_BODY_BYTES. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const body = await readBody(req);
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    throw new HttpError(400, errorBody("The request body is not valid JSON.", "invalid_request_error", "invalid_json"));
  }
}

/** The token of an `Authorization: Bearer …` header, or null. */
export function bearer(req: IncomingMessage): string | null {
  const header = req.headers.authorization;
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? (m[1] ?? null) : null;
}


/** Parses `body` with `schema`, or throws a 400 naming the first field that is wrong. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.map(String).join(".") ?? "";
  throw new HttpError(400, errorBody(`Invalid body: ${field} ${issue?.message ?? ""}`.trim(), "invalid_request_error", "invalid_body", field || null));
}
