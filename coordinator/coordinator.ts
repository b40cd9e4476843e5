/**
 * The coordinator service: one HTTP port for the OpenAI-compatible API, the admin API and the
 * nodes' WebSocket (/v1/node), over a ledger database.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
import { MAX_FRAME_BYTES } from "../shared/protocol";
import { DEFAULT_PRICE, type ModelPrice } from "../shared/money";
import { silentLogger, type Logger } from "../shared/logger";
import type { Database } from "./db";
import { Ledger } from "./ledger";
import { createApiKey } from "./api-keys";
import { rememberModels } from "./model-catalog";
import { NodeHub } from "./node-hub";
import { HttpApi } from "./http-api";
import type { DispatcherDeps } from "./job-dispatcher";
import { CapacityQueue } from "./capacity-queue";
import { diagnoseNode } from "./diagnosis";

export type { Database } from "./db";
export type { Logger } from "../shared/logger";

/** Path of the nodes' WebSocket. */
export const NODE_WS_PATH = "/v1/node";

export interface CoordinatorOptions {
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** Port to listen on (0 = any free port). */
  port?: number;
  db: Database;
  /** Bearer token of the admin API. */
  adminToken: string;
  /** Platform fee in basis points of each job's cost (default 0). */
  feeBps?: number;
  logger?: Logger;
  /** Name nodes sign in their login (default: this coordinator's URL). */
  coordinatorId?: string;
  /** Price of every model (default DEFAULT_PRICE). */
  defaultPrice?: ModelPrice;
  /** Time a node has to produce its first token before the job goes elsewhere (default 30 s). */
  dispatchTimeoutMs?: number;
  /** Time a node has to confirm a cancel with `done` (default 5 s). */
  cancelGraceMs?: number;
  /** Interval of WebSocket pings; a node that misses one is dropped (default 15 s). */
  heartbeatMs?: number;
  /**
   * Requests that may wait for one model while every node serving it is busy (default 64);
   * beyond that a request is answered 429 at once.
   */
  maxQueueLength?: number;
  /** Longest a request waits for a busy node to free a slot before it is answered 503 (default 15 s). */
  maxQueueWaitMs?: number;
  /** Clock (tests replace it). */
  clock?: () => Date;
}

/** A running coordinator. */
export interface RunningCoordinator {
  /** http://host:port */
  readonly url: string;
  /** ws://host:port/v1/node */
  readonly wsUrl: string;
  readonly port: number;
  close(): Promise<void>;
  /** Creates a consumer API key funded with `creditMicroUsd` (the key is shown only here). */
  createApiKey(creditMicroUsd: number, name?: string): Promise<{ id: string; key: string }>;
}

/** Starts a coordinator listening on `host:port` over the given database. */
export async function startCoordinator(opts: CoordinatorOptions): Promise<RunningCoordinator> {
  const host = opts.host ?? "127.0.0.1";
  const logger = opts.logger ?? silentLogger;
  const clock = opts.clock ?? (() => new Date());
  const feeBps = opts.feeBps ?? 0;
  if (!Number.isInteger(feeBps) || feeBps < 0 || feeBps > 10_000) throw new RangeError("feeBps must be an integer 0..10000");
  if (opts.adminToken.length === 0) throw new RangeError("adminToken must not be empty");
  const price = opts.defaultPrice ?? DEFAULT_PRICE;
  const ledger = new Ledger(opts.db, clock);
  const queue = new CapacityQueue({ maxQueueLength: opts.maxQueueLength ?? 64, maxQueueWaitMs: opts.maxQueueWaitMs ?? 15_000, logger });

  const server = createServer();
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  server.on("upgrade", (req, socket, head) => {
    const path = (req.url ?? "").split("?")[0];
    if (path !== NODE_WS_PATH) {
      socket.end("HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = host.includes(":") ? `[${host}]` : host;
  const url = `http://${hostForUrl}:${port}`;
  const wsUrl = `ws://${hostForUrl}:${port}${NODE_WS_PATH}`;

  const hub = new NodeHub(wss, {
    coordinatorId: opts.coordinatorId ?? url,
    logger,
    clock,
    heartbeatMs: opts.heartbeatMs ?? 15_000,
    nodeEarnings: (address) => ledger.nodeEarnings(address),
    onModels: (models) => rememberModels(opts.db, models, clock()),
    onCapacityChange: () => queue.wake(),
    diagnose: (node) => diagnoseNode({ ...node, queued: (model) => queue.length(model), db: opts.db, now: clock() }),
  });
  const dispatcher: DispatcherDeps = {
    hub,
    ledger,
    logger,
    price: () => price,
    feeBps,
    dispatchTimeoutMs: opts.dispatchTimeoutMs ?? 30_000,
    cancelGraceMs: opts.cancelGraceMs ?? 5_000,
    maxAttempts: 3,
    queue,
  };
  const api = new HttpApi({
    db: opts.db,
    ledger,
    logger,
    adminToken: opts.adminToken,
    dispatcher,
    price: () => price,
    servedModels: () => hub.servedModels(),
    clock,
  });
  server.on("request", (req, res) => api.handle(req, res));
  logger.info("coordinator listening", { url });

  let closing: Promise<void> | null = null;
  return {
    url,
    wsUrl,
    port,
    createApiKey: (creditMicroUsd, name) => createApiKey(opts.db, creditMicroUsd, name, clock()),
    close() {
      closing ??= (async () => {
        hub.close();
        wss.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        logger.info("coordinator stopped", { url });
      })();
      return closing;
    },
  };
}
