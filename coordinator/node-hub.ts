/**
 * The nodes' side of the coordinator: one WebSocket per node, the login challenge, status
 * updates, heartbeats (which also time each node's round trip), and routing of job messages
 * (tokens, done, failed) to the job they belong to. Bad frames are answered with `error` and
 * never throw.
 */
import type { WebSocket, WebSocketServer } from "ws";
import { parseNodeMessage, type AdvertisedModel, type CoordinatorMessage, type DiagnosisView, type NodeMessage, type NodeStatus } from "../shared/protocol";
import type { Logger } from "../shared/logger";
import type { CandidateModel, NodeCandidate } from "./node-scorer";
import type { PeerNode } from "./diagnosis";
import { loginIsValid, NodeConnection, rawToBytes, type NodeJobListener, type WithoutV } from "./node-connection";

export type { NodeJobListener } from "./node-connection";

/** Close code for a refused login (bad signature, wrong nonce). */
export const CLOSE_LOGIN_REFUSED = 4001;
/** Close code for a node that was replaced by a newer connection with the same address. */
export const CLOSE_REPLACED = 4002;
/** Close code for a node that kept sending frames we cannot read. */
export const CLOSE_TOO_MANY_BAD_FRAMES = 4003;
/** Bad frames a node may send before it is disconnected. */
export const MAX_BAD_FRAMES = 20;
/** Pings timed right after a login, this far apart. */
const LOGIN_PINGS = 3;
const LOGIN_PING_SPACING_MS = 200;

/** What the hub needs from the rest of the coordinator. */
export interface NodeHubDeps {
  readonly coordinatorId: string;
  readonly logger: Logger;
  readonly clock: () => Date;
  /** Balance and today's earnings of a node, for the welcome. */
  nodeEarnings(address: string): Promise<{ balanceMicroUsd: number; todayMicroUsd: number }>;
  /** Called with a logged-in node's models (to remember them as known). */
  onModels(models: readonly AdvertisedModel[]): Promise<void>;
  readonly heartbeatMs: number;
  /**
   * Called, synchronously, whenever a node may have room for more jobs or may have stopped
   * serving a model: a job left a node, a node logged in, sent a status or disconnected.
   */
  onCapacityChange?(): void;
  /**
   * Answers a node's `diagnose`: how the coordinator sees it (see diagnosis.ts). Without it, the
   * node is told that diagnosis is not available.
   */
  diagnose?(node: { address: string; status: NodeStatus | null; peers: PeerNode[] }): Promise<DiagnosisView>;
  /** What verification and past jobs say of a node (neutral values without it). */
  nodeInfo?(address: string): NodeRecord;
  /** Called when a node logs in, before it becomes routable (to refresh what is known of it). */
  onLogin?(address: string): Promise<void>;
}

/** What the rest of the coordinator knows of a node beyond its connection. */
export interface NodeRecord {
  readonly reputation: number;
  readonly tokensPerSecond: number | null;
  readonly quarantine: { readonly reason: string; readonly since: Date } | null;
}

const NEUTRAL_RECORD: NodeRecord = { reputation: 0.5, tokensPerSecond: null, quarantine: null };

/** A logged-in node, for routing and for the admin's list. */
export interface HubNode extends NodeCandidate {
  readonly address: string;
  readonly agent: string | null;
  readonly backend: NodeStatus["hardware"]["backend"];
  /** The node's own word on its sharing state ("Sharing", "Paused: game running"). */
  readonly statusReason: string;
  readonly quarantineReason: string | null;
}

/** The set of connected nodes and the router for their messages. */
/** The routing view of a status's models, made once per status the node sends (read per job). */
const routingViews = new WeakMap<NodeStatus, CandidateModel[]>();
function routingModels(status: NodeStatus): CandidateModel[] {
  let view = routingViews.get(status);
  if (!view) routingViews.set(status, (view = status.models.map((m) => ({ id: m.id, price: m.price, sizeBytes: m.sizeBytes }))));
  return view;
}

/** A node's routing snapshot and what it was made from. */
interface Snapshot {
  readonly node: HubNode;
  readonly status: NodeStatus;
  readonly inFlight: number;
  readonly lastIdleAtMs: number;
  readonly rttSamples: number;
  readonly address: string;
  readonly agent: string | null;
  readonly record: NodeRecord;
}

export class NodeHub {
  private readonly connections = new Map<string, NodeConnection>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    wss: WebSocketServer,
    private readonly deps: NodeHubDeps,
  ) {
    wss.on("connection", (socket) => this.accept(socket));
    this.heartbeat = setInterval(() => this.beat(), deps.heartbeatMs);
    this.heartbeat.unref();
  }

  /**
   * Routing snapshots of the logged-in nodes. Read for every job, so a node's snapshot is kept
   * and reused while nothing it is made of changed: its status (a new object per status
   * message), jobs in flight, idle time, round trip, login and reputation record (the same
   * object while the node's reputation stands, see reputation.ts).
   */
  candidates(): HubNode[] {
    const out: HubNode[] = [];
    for (const c of this.connections.values()) {
      if (!c.address || !c.status) continue;
      const record = this.deps.nodeInfo?.(c.address) ?? NEUTRAL_RECORD;
      const kept = c.routingSnapshot as Snapshot | undefined;
      if (
        kept &&
        kept.status === c.status &&
        kept.inFlight === c.jobs.size &&
        kept.lastIdleAtMs === c.lastIdleAtMs &&
        kept.rttSamples === c.rttSamples &&
        kept.address === c.address &&
        kept.agent === c.agent &&
        kept.record === record
      ) {
        out.push(kept.node);
        continue;
      }
      const node: HubNode = {
        id: c.id,
        address: c.address,
        agent: c.agent,
        backend: c.status.hardware.backend,
        statusReason: c.status.reason,
        sharing: c.status.sharing,
        models: routingModels(c.status),
        capacity: c.status.capacity,
        inFlight: c.jobs.size,
        lastIdleAtMs: c.lastIdleAtMs,
        memoryBytes: c.memoryBytes(),
        tokensPerSecond: record.tokensPerSecond,
        rttMs: c.rttMs,
        reputation: record.reputation,
        quarantined: record.quarantine !== null,
        quarantineReason: record.quarantine?.reason ?? null,
      };
      c.routingSnapshot = { node, status: c.status, inFlight: c.jobs.size, lastIdleAtMs: c.lastIdleAtMs, rttSamples: c.rttSamples, address: c.address, agent: c.agent, record } satisfies Snapshot;
      out.push(node);
    }
    return out;
  }

  /** Models served right now by at least one logged-in, sharing node. */
  servedModels(): string[] {
    const ids = new Set<string>();
    for (const c of this.connections.values()) {
      if (c.address && c.status?.sharing && !this.deps.nodeInfo?.(c.address).quarantine) for (const m of c.status.models) ids.add(m.id);
    }
    return [...ids].sort();
  }

  /** The wallet address of a connected node. */
  addressOf(nodeId: string): string | undefined {
    return this.connections.get(nodeId)?.address ?? undefined;
  }

  /** Sends a message to every connection logged in as `address`. */
  sendToAddress(address: string, message: WithoutV<CoordinatorMessage>): void {
    const wanted = address.toLowerCase();
    for (const c of this.connections.values()) if (c.address === wanted) c.send(message);
  }

  /** Sends `job` to the node and routes its answers to `listener`; false when the node is gone. */
  assign(nodeId: string, job: Extract<WithoutV<CoordinatorMessage>, { type: "job" }>, listener: NodeJobListener): boolean {
    const c = this.connections.get(nodeId);
    if (!c || !c.address || c.socket.readyState !== c.socket.OPEN) return false;
    c.jobs.set(job.jobId, listener);
    c.send(job);
    return true;
  }

  /** Stops routing a job's messages (it ended, or we gave up on it on this node). */
  release(nodeId: string, jobId: string): void {
    const c = this.connections.get(nodeId);
    if (!c || !c.jobs.delete(jobId)) return;
    if (c.jobs.size === 0) c.lastIdleAtMs = this.deps.clock().getTime();
    this.capacityChanged();
  }

  /** Sends a message to a node if it is still connected. */
  send(nodeId: string, message: WithoutV<CoordinatorMessage>): void {
    this.connections.get(nodeId)?.send(message);
  }

  /** Closes every node connection and stops the heartbeat. */
  close(): void {
    clearInterval(this.heartbeat);
    for (const c of this.connections.values()) c.socket.terminate();
  }

  private accept(socket: WebSocket): void {
    const c = new NodeConnection(socket, () => this.deps.clock().getTime());
    this.connections.set(c.id, c);
    socket.on("message", (data, isBinary) => {
      const raw = isBinary ? rawToBytes(data) : rawToBytes(data).toString("utf8");
      c.queue = c.queue
        .then(() => this.handle(c, raw))
        .catch((err: unknown) => this.deps.logger.error("node message handling failed", { node: c.id, error: String(err) }));
    });
    socket.on("error", (err) => this.deps.logger.warn("node socket error", { node: c.id, error: err.message }));
    socket.on("close", (code) => this.dropped(c, code));
    c.send({ type: "challenge", nonce: c.nonce as string, coordinatorId: this.deps.coordinatorId });
  }

  private dropped(c: NodeConnection, code: number): void {
    if (this.connections.get(c.id) !== c) return;
    this.connections.delete(c.id);
    this.deps.logger.info("node disconnected", { node: c.id, address: c.address, code, jobs: c.jobs.size });
    const listeners = [...c.jobs.values()];
    c.jobs.clear();
    for (const l of listeners) l.onDisconnect();
    this.capacityChanged();
  }

  private capacityChanged(): void {
    try {
      this.deps.onCapacityChange?.();
    } catch (err) {
      this.deps.logger.error("capacity change handling failed", { error: String(err) });
    }
  }

  private probeLatency(c: NodeConnection, left = LOGIN_PINGS): void {
    if (left === 0 || this.connections.get(c.id) !== c || !c.ping()) return;
    setTimeout(() => this.probeLatency(c, left - 1), LOGIN_PING_SPACING_MS).unref();
  }

  private beat(): void {
    for (const c of this.connections.values()) {
      if (!c.alive) {
        this.deps.logger.warn("node missed a heartbeat; dropping it", { node: c.id, address: c.address });
        c.socket.terminate();
        continue;
      }
      c.alive = false;
      if (!c.ping()) c.socket.terminate();
    }
  }

  private refuse(c: NodeConnection, code: string, message: string, ref?: string): void {
    c.badFrames++;
    c.send({ type: "error", code, message, ...(ref ? { ref } : {}) });
    if (c.badFrames >= MAX_BAD_FRAMES) {
      this.deps.logger.warn("node sent too many bad frames; closing", { node: c.id, address: c.address });
      c.socket.close(CLOSE_TOO_MANY_BAD_FRAMES, "too many bad frames");
    }
  }

  private async handle(c: NodeConnection, raw: string | Uint8Array): Promise<void> {
    if (this.connections.get(c.id) !== c) return;
    const parsed = parseNodeMessage(raw);
    if (!parsed.ok) {
      this.refuse(c, "bad_message", parsed.error);
      return;
    }
    const msg = parsed.value;
    if (msg.type === "login") return this.login(c, msg);
    if (!c.address) {
      this.refuse(c, "not_logged_in", "log in first (answer the challenge)");
      return;
    }
    switch (msg.type) {
      case "status":
        return this.applyStatus(c, msg.status);
      case "tokens":
        c.jobs.get(msg.jobId)?.onTokens(msg.text, msg.count);
        return;
      case "done": {
        // A done for a job that already ended (or was never ours) is ignored: never credited twice.
        const l = c.jobs.get(msg.jobId);
        if (!l) {
          this.deps.logger.info("ignored done for a job not running on this node", { node: c.id, jobId: msg.jobId });
          return;
        }
        this.release(c.id, msg.jobId);
        l.onDone(msg.finishReason, msg.receipt);
        return;
      }
      case "failed": {
        const l = c.jobs.get(msg.jobId);
        if (!l) return;
        this.release(c.id, msg.jobId);
        l.onFailed(msg.code, msg.message, msg.retryable, msg.receipt);
        return;
      }
      case "error":
        this.deps.logger.warn("node reported an error", { node: c.id, address: c.address, code: msg.code, message: msg.message });
        return;
      case "diagnose":
        return this.diagnose(c, msg.requestId);
    }
  }

  private async diagnose(c: NodeConnection, requestId: string): Promise<void> {
    const address = c.address as string;
    if (!this.deps.diagnose) {
      c.send({ type: "error", code: "unsupported", message: "this coordinator does not answer diagnose", ref: requestId });
      return;
    }
    const peers: PeerNode[] = [];
    for (const other of this.connections.values()) {
      if (other === c || !other.address || !other.status) continue;
      const sharing = other.status.sharing && !this.deps.nodeInfo?.(other.address).quarantine;
      peers.push({ sharing, models: other.status.models.map((m) => m.id), capacity: other.status.capacity });
    }
    try {
      const view = await this.deps.diagnose({ address, status: c.status, peers });
      c.send({ type: "diagnosis", requestId, view });
    } catch (err) {
      this.deps.logger.error("could not diagnose a node", { node: c.id, error: String(err) });
      c.send({ type: "error", code: "internal", message: "the coordinator could not compute its view of this node", ref: requestId });
    }
  }

  private async login(c: NodeConnection, msg: Extract<NodeMessage, { type: "login" }>): Promise<void> {
    if (c.address) {
      this.refuse(c, "bad_message", "already logged in");
      return;
    }
    const nonce = c.nonce;
    c.nonce = null; // one attempt per challenge
    const valid = await loginIsValid(msg, nonce, this.deps.coordinatorId);
    if (!valid) {
      this.deps.logger.warn("node login refused", { node: c.id, address: msg.address });
      c.send({ type: "error", code: "login_refused", message: "login refused: the signature does not match the address and this challenge" });
      c.socket.close(CLOSE_LOGIN_REFUSED, "login refused");
      return;
    }
    const address = msg.address.toLowerCase();
    for (const other of this.connections.values()) {
      if (other !== c && other.address === address) {
        this.deps.logger.info("node reconnected; closing its older connection", { address });
        other.socket.close(CLOSE_REPLACED, "replaced by a newer connection");
      }
    }
    c.address = address;
    c.agent = msg.agent;
    await this.deps.onLogin?.(address).catch((err: unknown) => this.deps.logger.error("login hook failed", { address, error: String(err) }));
    // A few timed pings at once, so routing knows the node's round trip before the next heartbeat.
    this.probeLatency(c);
    // The status is applied first, so a node that got its welcome is already routable.
    await this.applyStatus(c, msg.status, false);
    const earnings = await this.deps.nodeEarnings(address);
    c.send({ type: "welcome", address: msg.address, balanceMicroUsd: earnings.balanceMicroUsd, todayMicroUsd: earnings.todayMicroUsd });
    this.deps.logger.info("node logged in", { node: c.id, address, agent: msg.agent });
    const quarantine = this.deps.nodeInfo?.(address).quarantine;
    if (quarantine) c.send({ type: "error", code: "quarantined", message: `quarantined: ${quarantine.reason}` });
    // Jobs waiting for a slot go to the node once it has its welcome.
    if (this.connections.get(c.id) === c) this.capacityChanged();
  }

  private async applyStatus(c: NodeConnection, status: NodeStatus, wake = true): Promise<void> {
    // Models are remembered before the node becomes routable, so a request never sees a served
    // model that is not yet "known".
    try {
      await this.deps.onModels(status.models);
    } catch (err) {
      this.deps.logger.error("could not record a node's models", { node: c.id, error: String(err) });
    }
    c.status = status;
    this.deps.logger.info("node status", {
      node: c.id,
      sharing: status.sharing,
      capacity: status.capacity,
      models: status.models.map((m) => m.id),
    });
    if (wake && this.connections.get(c.id) === c) this.capacityChanged();
  }
}
