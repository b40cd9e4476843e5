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
import { startCreditReleaser } from "./credit-release";
import { createApiKey } from "./api-keys";
import { rememberModels } from "./model-catalog";
import { NodeHub } from "./node-hub";
import { HttpApi } from "./http-api";
import type { DispatcherDeps } from "./job-dispatcher";
import { CapacityQueue } from "./capacity-queue";
import { diagnoseNode } from "./diagnosis";
import { PriceBook } from "./price-book";
import { Reputation } from "./reputation";
import { wireNetwork } from "./network";
import { networkIdOf } from "./network-identity";
import { Verifier, type VerificationOptions } from "./verification";
import { AdminApi } from "./admin-api";
import { RateLimiter } from "./rate-limit";
import { CoordinatorMetrics } from "./metrics";
import type { WithdrawalTerms } from "../shared/withdrawal";
import type { PayoutChainClient } from "./payout-chain";
import { PayoutWorker } from "./payout-worker";
import { checkTerms } from "./payout-config";
import { withdrawalRoutes } from "./withdrawal-routes";
import { Withdrawals } from "./withdrawals";
import { startOrphanSweeper, type OrphanJobOptions } from "./orphan-jobs";
import { joinCluster, type ClusterMember, type ClusterOptions } from "./cluster";
import { shareVerification } from "./cluster-verification";
import { AdminAppeals } from "./admin-appeals";
import { appealRoutes } from "./appeal-routes";
import { forfeitExpiredHolds } from "./appeal-expiry";
import { DEFAULT_APPEAL_WINDOW_MS } from "./appeals";
import { STANDING_NOTICES } from "../shared/appeal";

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
  /** Platform fee in basis points of each job's cost, rounded down to whole µUSD (default 0). */
  feeBps?: number;
  /** Time a node's credit stays pending before it becomes available (default 24 h). */
  verificationWindowMs?: number;
  /** Interval of the release of credits past their verification window (default 60 s). */
  releaseIntervalMs?: number;
  /**
   * Time after its hold at which a quarantined node's held earnings are forfeited to its
   * consumers unless an appeal is upheld; open appeals stop the clock (default 30 days).
   */
  appealWindowMs?: number;
  logger?: Logger;
  /**
   * Name nodes sign in their login, their withdrawals and their signed reads (default: the
   * network's id kept in the database, shared by every instance on it; see network-identity.ts).
   */
  coordinatorId?: string;
  /** Price of every model (default DEFAULT_PRICE). */
  defaultPrice?: ModelPrice;
  /** Time a node has to produce its first token before the job goes elsewhere (default 30 s). */
  dispatchTimeoutMs?: number;
  /** Time a node has to confirm a cancel with `done` (default 5 s). */
  cancelGraceMs?: number;
  /** Round trips to nodes within this much of the best count as equal when routing (default 50 ms). */
  latencyToleranceMs?: number;
  /** Interval of WebSocket pings; a node that misses one is dropped (default 15 s). */
  heartbeatMs?: number;
  /**
   * Requests that may wait for one model while every node serving it is busy (default 64);
   * beyond that a request is answered 429 at once.
   */
  maxQueueLength?: number;
  /** Longest a request waits for a busy node to free a slot before it is answered 503 (default 15 s). */
  maxQueueWaitMs?: number;
  /** Requests per minute a consumer key may make unless the admin set its own rate (default 600). */
  requestsPerMinute?: number;
  /** Known-answer probes and re-runs (see verification.ts); `false` turns them off. */
  verification?: VerificationOptions | false;
  /** Clock (tests replace it). */
  clock?: () => Date;
  /**
   * Withdrawals: the terms they are taken on and, when this coordinator pays them, the payout
   * chain (see payout-config.ts). Absent: withdrawal requests are answered 503.
   */
  withdrawals?: { terms: WithdrawalTerms; chain?: PayoutChainClient; pollMs?: number };
  /** When running jobs count as left behind by a coordinator that died (see orphan-jobs.ts). */
  orphanJobs?: OrphanJobOptions;
  /**
   * Run as one of several instances on one PostgreSQL database (see cluster.ts): a request that
   * lands here can run on a node connected to another instance. Needs a postgres:// database.
   */
  cluster?: ClusterOptions;
}

/** A running coordinator. */
export interface RunningCoordinator {
  /** http://host:port */
  readonly url: string;
  /** ws://host:port/v1/node */
  readonly wsUrl: string;
  readonly port: number;
  /** This instance's id in its cluster, or null when it runs alone. */
  readonly clusterInstanceId: string | null;
  /** The id nodes sign in their logins and signed requests. */
  readonly coordinatorId: string;
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
  if (opts.requestsPerMinute !== undefined && (!Number.isSafeInteger(opts.requestsPerMinute) || opts.requestsPerMinute <= 0)) {
    throw new RangeError("requestsPerMinute must be a positive integer");
  }
  const price = opts.defaultPrice ?? DEFAULT_PRICE;
  const ledger = new Ledger(opts.db, clock, { verificationWindowMs: opts.verificationWindowMs });
  const appealWindowMs = opts.appealWindowMs ?? DEFAULT_APPEAL_WINDOW_MS;
  if (!Number.isSafeInteger(appealWindowMs) || appealWindowMs < 0) throw new RangeError("appealWindowMs must be a non-negative integer");
  // Bad terms stop the start here, before anything listens (the desk itself needs the URL).
  if (opts.withdrawals) checkTerms(opts.withdrawals.terms);
  const payout = opts.withdrawals?.chain
    ? new PayoutWorker({ db: opts.db, chain: opts.withdrawals.chain, terms: opts.withdrawals.terms, logger, clock, pollMs: opts.withdrawals.pollMs })
    : null;
  // A wrong chain or token stops the start here, before anything listens.
  await payout?.checkChain();
  const prices = await PriceBook.load(opts.db, price);
  const reputation = await Reputation.load(opts.db, clock, logger);
  // Before anything listens: reservations of jobs a predecessor left running go back first.
  const orphans = await startOrphanSweeper(opts.db, logger, clock, opts.orphanJobs);
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
  }).catch(async (err: unknown) => {
    await orphans.stop();
    throw err;
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = host.includes(":") ? `[${host}]` : host;
  const url = `http://${hostForUrl}:${port}`;
  const wsUrl = `ws://${hostForUrl}:${port}${NODE_WS_PATH}`;

  const coordinatorId = opts.coordinatorId ?? (await networkIdOf(opts.db));
  const withdrawals = opts.withdrawals ? new Withdrawals(opts.db, opts.withdrawals.terms, coordinatorId, clock) : null;
  let cluster: ClusterMember | null = null;
  const hub = new NodeHub(wss, {
    coordinatorId,
    logger,
    clock,
    heartbeatMs: opts.heartbeatMs ?? 15_000,
    nodeEarnings: (address) => ledger.nodeTotals(address),
    onModels: (models) => rememberModels(opts.db, models, clock()),
    onCapacityChange: () => {
      queue.wake();
      cluster?.localChanged();
    },
    diagnose: (node) =>
      diagnoseNode({ ...node, quarantine: reputation.record(node.address).quarantine, queued: (model) => queue.length(model), db: opts.db, now: clock() }),
    nodeInfo: (address) => reputation.record(address),
    onLogin: (address) => reputation.refresh(address),
  });
  if (opts.cluster) {
    try {
      cluster = await joinCluster(
        { db: opts.db, localHub: hub, url, logger, onCapacityChange: () => queue.wake(), quarantineOf: (address) => reputation.counters(address).quarantine?.reason ?? null },
        opts.cluster,
      );
    } catch (err) {
      hub.close();
      wss.close();
      await orphans.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      throw err;
    }
  }
  // Routing, verification and the admin's list see every node of the cluster; metrics count
  // this instance's own nodes (each instance reports its share, so sums across instances hold).
  const routing = cluster?.hub ?? hub;
  const metrics = new CoordinatorMetrics({ hub, queue, ledger });
  const verifier =
    opts.verification === false
      ? null
      : await Verifier.start(
          { db: opts.db, hub: routing, ledger, reputation, listPrice: (model) => prices.price(model), logger, clock, onVerdict: (kind, verdict) => metrics.observeCheck(kind, verdict) },
          opts.verification,
        );
  // In a cluster one instance runs the probes, and a quarantine decided anywhere holds everywhere.
  if (cluster) {
    const member = cluster;
    shareVerification({
      member,
      reputation,
      verifier,
      localHub: hub,
      logger,
      onRoutingChange: () => {
        queue.wake();
        member.localChanged();
      },
    });
  }
  const dispatcher: DispatcherDeps = wireNetwork(
    {
      db: opts.db,
      ledger,
      hub: routing,
      queue,
      reputation,
      logger,
      clock,
      feeBps,
      dispatchTimeoutMs: opts.dispatchTimeoutMs ?? 30_000,
      cancelGraceMs: opts.cancelGraceMs ?? 5_000,
      latencyToleranceMs: opts.latencyToleranceMs,
    },
    verifier ? [verifier.events, metrics.events] : [metrics.events],
  );
  const appealDeps = { db: opts.db, coordinatorId, appealWindowMs, limiter: new RateLimiter(() => clock().getTime()), logger, clock };
  const api = new HttpApi({
    db: opts.db,
    ledger,
    logger,
    adminToken: opts.adminToken,
    dispatcher,
    price: (model) => prices.price(model),
    servedModels: () => routing.servedModels(),
    metrics,
    admin: new AdminApi({
      db: opts.db,
      adminToken: opts.adminToken,
      hub: routing,
      prices,
      reputation,
      logger,
      clock,
      appeals: new AdminAppeals({ db: opts.db, reputation, hub: routing, logger, clock }),
    }),
    limits: { limiter: new RateLimiter(() => clock().getTime()), defaultRatePerMinute: opts.requestsPerMinute ?? 600 },
    clock,
    coordinatorId,
    earnings: { db: opts.db, ledger, feeBps, coordinatorId, logger, price: () => price, clock },
    withdrawalRoutes: (req, res) => withdrawalRoutes(withdrawals, logger, req, res),
    appealRoutes: (req, res) => appealRoutes(appealDeps, req, res),
  });
  server.on("request", (req, res) => api.handle(req, res));
  payout?.start();
  const releaser = startCreditReleaser({
    ledger,
    logger,
    intervalMs: opts.releaseIntervalMs ?? 60_000,
    forfeit: () => forfeitExpiredHolds(opts.db, clock(), appealWindowMs),
    onForfeited: (address) =>
      routing.sendToAddress(address, { type: "error", code: STANDING_NOTICES.earningsForfeited, message: "the held earnings were forfeited: no appeal was upheld in time" }),
  });
  logger.info("coordinator listening", { url });

  let closing: Promise<void> | null = null;
  return {
    url,
    wsUrl,
    port,
    clusterInstanceId: cluster?.instanceId ?? null,
    coordinatorId,
    createApiKey: (creditMicroUsd, name) => createApiKey(opts.db, creditMicroUsd, name, clock()),
    close() {
      closing ??= (async () => {
        await payout?.stop();
        verifier?.close();
        await cluster?.close();
        hub.close();
        wss.close();
        await releaser.stop();
        await orphans.stop();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        logger.info("coordinator stopped", { url });
      })();
      return closing;
    },
  };
}
