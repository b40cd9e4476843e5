/**
 * The node hub of one coordinator instance in a cluster: the nodes connected here plus the nodes
 * connected to the other instances, behind the interface the dispatcher already uses. A job for
 * a remote node becomes messages to that node's instance, which runs it on its node and relays
 * every token, the `done` with its receipt, a failure or a disconnect back, in order. Routing,
 * the consumer's stream, failover and settlement stay with the instance that took the request.
 */
import { encodeCoordinatorMessage, parseCoordinatorMessage, type CoordinatorMessage } from "../shared/protocol";
import type { Logger } from "../shared/logger";
import type { HubNode, NodeHub, NodeJobListener } from "./node-hub";
import type { WithoutV } from "./node-connection";
import type { ClusterDirectory } from "./cluster-directory";
import type { ClusterMessage } from "./cluster-wire";

type JobMessage = Extract<WithoutV<CoordinatorMessage>, { type: "job" }>;

/** What the cluster hub needs. */
export interface ClusterHubOptions {
  readonly instanceId: string;
  readonly logger: Logger;
  /** Sends a message to another instance (in order, per sender). */
  publish(instance: string, message: ClusterMessage): Promise<void>;
  /** A local node's view changed (a job started on it). */
  onLocalChange(): void;
  /** A remote node may have room now. */
  onCapacityChange(): void;
  /**
   * Why this instance knows a node as quarantined, or null: a quarantine decided here holds for
   * a remote node at once, before its own instance republishes it.
   */
  quarantineOf?(address: string): string | null;
}

interface RemoteJob {
  readonly owner: string;
  readonly nodeId: string;
  readonly jobId: string;
  readonly listener: NodeJobListener;
}

interface RelayedJob {
  readonly requester: string;
  readonly nodeId: string;
  readonly jobId: string;
}

const keyOf = (nodeId: string, jobId: string) => `${nodeId}/${jobId}`;

/** Local and remote nodes as one hub. */
export class ClusterHub {
  /** Jobs this instance runs on other instances' nodes. */
  private readonly remoteJobs = new Map<string, RemoteJob>();
  /** Jobs other instances run on this instance's nodes. */
  private readonly relayed = new Map<string, RelayedJob>();

  constructor(
    readonly local: NodeHub,
    private readonly directory: ClusterDirectory,
    private readonly o: ClusterHubOptions,
  ) {}

  /** Routing snapshots of every node in the cluster. */
  candidates(): HubNode[] {
    const mine = new Map<string, number>();
    for (const j of this.remoteJobs.values()) mine.set(j.nodeId, (mine.get(j.nodeId) ?? 0) + 1);
    // A remote node's published load may not count our newest jobs yet: take the larger.
    const remote = this.remoteViews().map((node) => ({ ...node, inFlight: Math.max(node.inFlight, mine.get(node.id) ?? 0) }));
    return [...this.local.candidates(), ...remote];
  }

  /** The other instances' nodes as published, with the quarantines known here laid over them. */
  private remoteViews(): HubNode[] {
    return this.directory.remoteNodes().map(({ node }) => {
      const reason = node.quarantined ? null : (this.o.quarantineOf?.(node.address) ?? null);
      return reason === null ? node : { ...node, quarantined: true, quarantineReason: reason };
    });
  }

  /** Models served right now by at least one sharing node anywhere in the cluster. */
  servedModels(): string[] {
    const ids = new Set(this.local.servedModels());
    for (const node of this.remoteViews()) if (node.sharing && !node.quarantined) for (const m of node.models) ids.add(m.id);
    return [...ids].sort();
  }

  addressOf(nodeId: string): string | undefined {
    return this.local.addressOf(nodeId) ?? this.directory.remoteNodes().find((r) => r.node.id === nodeId)?.node.address;
  }

  /** Sends a message to every node, here or elsewhere, logged in as `address`. */
  sendToAddress(address: string, message: WithoutV<CoordinatorMessage>): void {
    this.local.sendToAddress(address, message);
    const wanted = address.toLowerCase();
    for (const { node } of this.directory.remoteNodes()) if (node.address === wanted) this.send(node.id, message);
  }

  /** Sends `job` to the node (here or on its instance); false when the node is not known. */
  assign(nodeId: string, job: JobMessage, listener: NodeJobListener): boolean {
    const owner = this.directory.ownerOf(nodeId);
    if (!owner) {
      const sent = this.local.assign(nodeId, job, listener);
      if (sent) this.o.onLocalChange();
      return sent;
    }
    const key = keyOf(nodeId, job.jobId);
    this.remoteJobs.set(key, { owner, nodeId, jobId: job.jobId, listener });
    this.o.publish(owner, { k: "assign", from: this.o.instanceId, nodeId, message: encodeCoordinatorMessage(job) }).catch((err: unknown) => {
      this.o.logger.warn("could not send a job to another instance", { jobId: job.jobId, instance: owner, error: String(err) });
      this.endRemote(key)?.onDisconnect();
    });
    return true;
  }

  /** Stops routing a job's messages. */
  release(nodeId: string, jobId: string): void {
    const key = keyOf(nodeId, jobId);
    const job = this.remoteJobs.get(key);
    if (!job) return this.local.release(nodeId, jobId);
    this.endRemote(key);
    this.publishQuietly(job.owner, { k: "release", from: this.o.instanceId, nodeId, jobId });
  }

  /** Sends a message to a node if it is still connected (here or on its instance). */
  send(nodeId: string, message: WithoutV<CoordinatorMessage>): void {
    const owner = this.directory.ownerOf(nodeId);
    if (!owner) return this.local.send(nodeId, message);
    this.publishQuietly(owner, { k: "send", from: this.o.instanceId, nodeId, message: encodeCoordinatorMessage(message) });
  }

  /** Handles a message another instance sent to this one. */
  handle(msg: ClusterMessage): void {
    switch (msg.k) {
      case "assign":
        return this.runRelayed(msg.from, msg.nodeId, msg.message);
      case "send": {
        const parsed = parseCoordinatorMessage(msg.message);
        if (!parsed.ok) return this.o.logger.warn("ignored a bad relayed message", { from: msg.from, error: parsed.error });
        return this.local.send(msg.nodeId, withoutV(parsed.value));
      }
      case "release": {
        const key = keyOf(msg.nodeId, msg.jobId);
        if (this.relayed.get(key)?.requester !== msg.from) return;
        this.relayed.delete(key);
        return this.local.release(msg.nodeId, msg.jobId);
      }
      case "tokens":
        this.remoteJobs.get(keyOf(msg.nodeId, msg.jobId))?.listener.onTokens(msg.text, msg.count);
        return;
      case "done":
        this.endRemote(keyOf(msg.nodeId, msg.jobId))?.onDone(msg.finishReason, msg.receipt);
        return;
      case "failed":
        this.endRemote(keyOf(msg.nodeId, msg.jobId))?.onFailed(msg.code, msg.message, msg.retryable, msg.receipt);
        return;
      case "disconnect":
        this.endRemote(keyOf(msg.nodeId, msg.jobId))?.onDisconnect();
        return;
    }
  }

  /**
   * An instance stopped beating: the jobs we ran on its nodes are dropped (failover applies), and
   * the jobs it ran on ours are cancelled (nobody will read their answers).
   */
  instanceGone(instance: string): void {
    for (const [key, job] of [...this.remoteJobs]) {
      if (job.owner !== instance) continue;
      this.remoteJobs.delete(key);
      job.listener.onDisconnect();
    }
    for (const [key, job] of [...this.relayed]) {
      if (job.requester !== instance) continue;
      this.relayed.delete(key);
      this.local.send(job.nodeId, { type: "cancel", jobId: job.jobId, reason: "the coordinator that asked for it went away" });
      this.local.release(job.nodeId, job.jobId);
    }
    this.o.onCapacityChange();
  }

  /** This instance is leaving: the jobs it runs for other instances end there as dropped (they fail over). */
  dropRelayed(reason = "the coordinator relaying it is shutting down"): void {
    for (const [key, job] of [...this.relayed]) {
      this.relayed.delete(key);
      this.local.send(job.nodeId, { type: "cancel", jobId: job.jobId, reason });
      this.local.release(job.nodeId, job.jobId);
      this.publishQuietly(job.requester, { k: "disconnect", nodeId: job.nodeId, jobId: job.jobId });
    }
  }

  /**
   * This instance's bus connection dropped and is back: messages either way may have been lost
   * meanwhile (tokens, a `done`, a cancel), so no job between instances can be trusted to be
   * whole. Jobs we ran on other instances' nodes end here as if their node disconnected (they
   * continue on another node from what the consumer already has) and their instances are told to
   * cancel them; jobs we ran for other instances are cancelled here and their requesters told
   * the node is gone (they fail over the same way). Waiting for the stall timeout instead would
   * leave those consumers without a token for its length.
   */
  busLost(): void {
    const reason = "the coordinators lost touch while it ran";
    for (const [key, job] of [...this.remoteJobs]) {
      this.remoteJobs.delete(key);
      this.publishQuietly(job.owner, { k: "send", from: this.o.instanceId, nodeId: job.nodeId, message: encodeCoordinatorMessage({ type: "cancel", jobId: job.jobId, reason }) });
      this.publishQuietly(job.owner, { k: "release", from: this.o.instanceId, nodeId: job.nodeId, jobId: job.jobId });
      job.listener.onDisconnect();
    }
    this.dropRelayed(reason);
    this.o.onCapacityChange();
  }

  /** Jobs in flight between instances, for tests and logs. */
  get relayCounts(): { remote: number; relayed: number } {
    return { remote: this.remoteJobs.size, relayed: this.relayed.size };
  }

  private endRemote(key: string): NodeJobListener | undefined {
    const job = this.remoteJobs.get(key);
    if (!job) return undefined;
    this.remoteJobs.delete(key);
    this.o.onCapacityChange();
    return job.listener;
  }

  private publishQuietly(instance: string, message: ClusterMessage): void {
    this.o.publish(instance, message).catch((err: unknown) => this.o.logger.warn("could not reach another instance", { instance, kind: message.k, error: String(err) }));
  }

  /** Runs a job another instance routed to one of our nodes, relaying what the node says. */
  private runRelayed(requester: string, nodeId: string, raw: string): void {
    const parsed = parseCoordinatorMessage(raw);
    if (!parsed.ok || parsed.value.type !== "job") {
      this.o.logger.warn("ignored a bad relayed job", { from: requester, error: parsed.ok ? "not a job" : parsed.error });
      return;
    }
    const job = withoutV(parsed.value) as JobMessage;
    const key = keyOf(nodeId, job.jobId);
    const reply = (message: ClusterMessage) => this.publishQuietly(requester, message);
    const node = this.local.candidates().find((n) => n.id === nodeId);
    if (!node) return reply({ k: "disconnect", nodeId, jobId: job.jobId });
    // The requester's view of the node may be stale: a node without a free slot refuses.
    if (!node.sharing || node.quarantined || node.capacity - node.inFlight <= 0 || this.relayed.has(key)) {
      return reply({ k: "failed", nodeId, jobId: job.jobId, code: "busy", message: "the node has no free slot", retryable: true });
    }
    const ended = () => this.relayed.delete(key) && true;
    const listener: NodeJobListener = {
      onTokens: (text, count) => reply({ k: "tokens", nodeId, jobId: job.jobId, text, count }),
      onDone: (finishReason, receipt) => ended() && reply({ k: "done", nodeId, jobId: job.jobId, finishReason, receipt }),
      onFailed: (code, message, retryable, receipt) =>
        ended() && reply({ k: "failed", nodeId, jobId: job.jobId, code, message, retryable, ...(receipt ? { receipt } : {}) }),
      onDisconnect: () => ended() && reply({ k: "disconnect", nodeId, jobId: job.jobId }),
    };
    this.relayed.set(key, { requester, nodeId, jobId: job.jobId });
    if (!this.local.assign(nodeId, job, listener)) {
      this.relayed.delete(key);
      return reply({ k: "disconnect", nodeId, jobId: job.jobId });
    }
    this.o.onLocalChange();
  }
}

function withoutV(message: CoordinatorMessage): WithoutV<CoordinatorMessage> {
  const { v: _v, ...rest } = message;
  return rest as WithoutV<CoordinatorMessage>;
}
