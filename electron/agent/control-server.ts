/**
 * The agent's local control server: serves the built dashboard on 127.0.0.1, the HTTP API of
 * control-http-api.ts for the command line, and a WebSocket at `/control` that speaks the
 * {@link ControlApi} contract (one request frame per method, validated with
 * `controlRequestSchema`). Every caller needs the per-session token; the Host and Origin headers
 * are checked so a web page on another name (DNS rebinding) cannot reach it.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket, type RawData } from "ws";
import { z } from "zod";
import { controlRequestSchema, type ControlApi, type ControlServerFrame, type Result } from "../../shared/control-api";
import { dispatchControlRequest } from "../../shared/control-dispatch";
import { createApiHandler, firstIssue, sameSecret, sendJson } from "./control-http-api";
import { silentLogger, type Logger } from "../../shared/logger";

export interface ControlServerOptions {
  readonly control: ControlApi;
  /** Folder of the built renderer (dist/renderer). */
  readonly staticDir: string;
  readonly host?: "127.0.0.1";
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  readonly logger?: Logger;
  /** How long a WebSocket may stay open without sending its token (ms). */
  readonly authTimeoutMs?: number;
}

export interface ControlServer {
  /** `http://127.0.0.1:<port>/#token=<token>`: the dashboard link to open in a browser. */
  readonly url: string;
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

/** WebSocket close code for a missing or wrong token. */
export const CLOSE_UNAUTHORIZED = 4401;
/** WebSocket close code for a connection from a foreign origin. */
export const CLOSE_FORBIDDEN = 4403;

const MAX_FRAME_BYTES = 64 * 1024;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
  ".map": "application/json; charset=utf-8",
};

const authFrameSchema = z.object({ token: z.string().max(256) });

/** The id of a request frame that failed validation, when it has a usable one (else -1). */
function requestId(json: unknown): number {
  const rawId = typeof json === "object" && json !== null ? (json as { id?: unknown }).id : undefined;
  return typeof rawId === "number" && Number.isInteger(rawId) ? rawId : -1;
}

/** Why a request frame was refused, in words the caller's developer can act on. */
function describeBadRequest(json: unknown, error: z.ZodError): string {
  const method = typeof json === "object" && json !== null ? (json as { method?: unknown }).method : undefined;
  const known = controlRequestSchema.options.some((option) => option.shape.method.value === method);
  if (!known) return "unknown or malformed request";
  return `malformed ${String(method)} request: ${firstIssue(error)}`;
}

/** Starts the control server; resolves once it listens. */
export async function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  const { control } = options;
  const logger = options.logger ?? silentLogger;
  const host = options.host ?? "127.0.0.1";
  const authTimeoutMs = options.authTimeoutMs ?? 5_000;
  const staticRoot = path.resolve(options.staticDir);
  const token = randomBytes(32).toString("base64url");
  let port = 0;

  const allowedHosts = (): ReadonlySet<string> => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const allowedOrigins = (): ReadonlySet<string> => new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);
  const hostAllowed = (req: IncomingMessage): boolean => allowedHosts().has(String(req.headers.host ?? "").toLowerCase());
  /** A missing Origin is a non-browser client (curl, the CLI); a present one must be ours. */
  const originAllowed = (req: IncomingMessage): boolean => {
    const origin = req.headers.origin;
    return origin === undefined || allowedOrigins().has(origin.toLowerCase());
  };

  const securityHeaders = (): Record<string, string> => ({
    "Content-Security-Policy": [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      "font-src 'self'",
      `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join("; "),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
  });

  async function serveStatic(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    if (req.method !== "GET" && req.method !== "HEAD") {
      sendJson(res, 405, { error: "method not allowed" });
      return;
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      sendJson(res, 400, { error: "bad path" });
      return;
    }
    if (decoded.includes("\0")) {
      sendJson(res, 400, { error: "bad path" });
      return;
    }
    const target = path.resolve(staticRoot, "." + path.posix.normalize("/" + decoded));
    if (target !== staticRoot && !target.startsWith(staticRoot + path.sep)) {
      sendJson(res, 403, { error: "forbidden" });
      return;
    }
    let file = target;
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) {
      // Paths that look like files (have an extension) are simply missing; the rest are app routes.
      if (path.extname(decoded) !== "") {
        sendJson(res, 404, { error: "not found" });
        return;
      }
      file = path.join(staticRoot, "index.html");
    }
    const body = await readFile(file).catch(() => null);
    if (body === null) {
      res.writeHead(503, { "Content-Type": "text/plain; charset=utf-8", ...securityHeaders() });
      res.end("The dashboard is not built. Run: npm run build:renderer\n");
      return;
    }
    const type = CONTENT_TYPES[path.extname(file).toLowerCase()] ?? "application/octet-stream";
    const cache = path.basename(file) === "index.html" ? "no-store" : "public, max-age=3600";
    res.writeHead(200, { "Content-Type": type, "Cache-Control": cache, ...securityHeaders() });
    res.end(req.method === "HEAD" ? undefined : body);
  }

  const handleApi = createApiHandler(control, token);

  const server = createServer((req, res) => {
    if (!hostAllowed(req) || !originAllowed(req)) {
      sendJson(res, 403, { error: "forbidden host or origin" });
      return;
    }
    const pathname = (req.url ?? "/").split("?")[0] ?? "/";
    const work = pathname.startsWith("/api/") ? handleApi(req, res, pathname) : serveStatic(req, res, pathname);
    work.catch((error: unknown) => {
      logger.error("control server request failed", { path: pathname, error: String(error) });
      if (!res.headersSent) sendJson(res, 500, { error: "internal error" });
      else res.destroy();
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  const authed = new Set<WebSocket>();

  const send = (socket: WebSocket, frame: ControlServerFrame): void => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(frame));
  };

  async function answer(socket: WebSocket, raw: string): Promise<void> {
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      send(socket, { type: "reply", id: -1, ok: false, error: "frame is not JSON" });
      return;
    }
    const parsed = controlRequestSchema.safeParse(json);
    if (!parsed.success) {
      send(socket, { type: "reply", id: requestId(json), ok: false, error: describeBadRequest(json, parsed.error) });
      return;
    }
    const request = parsed.data;
    let result: Result<unknown>;
    try {
      result = await dispatchControlRequest(control, request);
    } catch (error) {
      logger.error("control call failed", { method: request.method, error: String(error) });
      result = { ok: false, error: "the node could not do that" };
    }
    send(
      socket,
      result.ok
        ? { type: "reply", id: request.id, ok: true, value: result.value }
        : { type: "reply", id: request.id, ok: false, error: result.error },
    );
  }

  wss.on("connection", (socket: WebSocket) => {
    const timer = setTimeout(() => socket.close(CLOSE_UNAUTHORIZED, "token required"), authTimeoutMs);
    socket.on("close", () => {
      clearTimeout(timer);
      authed.delete(socket);
    });
    socket.on("error", (error) => logger.warn("control socket error", { error: String(error) }));
    socket.on("message", (data: RawData, isBinary: boolean) => {
      const raw = isBinary ? "" : data.toString();
      if (!authed.has(socket)) {
        clearTimeout(timer);
        let candidate: unknown;
        try {
          candidate = JSON.parse(raw);
        } catch {
          candidate = null;
        }
        const auth = authFrameSchema.safeParse(candidate);
        if (!auth.success || !sameSecret(auth.data.token, token)) {
          socket.close(CLOSE_UNAUTHORIZED, "wrong token");
          return;
        }
        authed.add(socket);
        void control
          .getState()
          .then((result) => {
            if (result.ok) send(socket, { type: "state", state: result.value });
          })
          .catch((error: unknown) => logger.warn("initial state failed", { error: String(error) }));
        return;
      }
      if (isBinary) {
        send(socket, { type: "reply", id: -1, ok: false, error: "binary frames are not accepted" });
        return;
      }
      void answer(socket, raw);
    });
  });

  server.on("upgrade", (req, socket, head) => {
    const pathname = (req.url ?? "/").split("?")[0];
    if (pathname !== "/control" || !hostAllowed(req) || !originAllowed(req)) {
      socket.write("HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n");
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
  });

  const unsubscribe = control.onState((state) => {
    for (const socket of authed) send(socket, { type: "state", state });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  logger.info("control server listening", { port });

  let closing: Promise<void> | null = null;
  return {
    url: `http://127.0.0.1:${port}/#token=${token}`,
    port,
    token,
    close() {
      closing ??= (async () => {
        unsubscribe();
        for (const socket of wss.clients) socket.terminate();
        await new Promise<void>((resolve) => wss.close(() => resolve()));
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      })();
      return closing;
    },
  };
}
