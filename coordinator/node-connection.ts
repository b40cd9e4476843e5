/**
 * One node's WebSocket as the hub sees it: who logged in on it, its last status, the jobs it
 * runs, and its measured round trip (each WebSocket ping is timed to its pong).
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { RawData, WebSocket } from "ws";
import { verifyTypedData } from "viem";
import { loginTypedData } from "../shared/typed-data";
import {
  encodeCoordinatorMessage,
  type CoordinatorMessage,
  type FinishReason,
  type JobFailureCode,
  type NodeMessage,
  type NodeStatus,
  type Receipt,
} from "../shared/protocol";

/** What a job hears from the node running it. */
export interface NodeJobListener {
  onTokens(text: string, count: number): void;
  onDone(finishReason: FinishReason, receipt: Receipt): void;
  /** The job failed; `receipt` bills the tokens streamed before it broke off, if any. */
  onFailed(code: JobFailureCode, message: string, retryable: boolean, receipt?: Receipt): void;
  /** The node's socket closed while the job was assigned to it. */
  onDisconnect(): void;
}

export type WithoutV<T> = T extends unknown ? Omit<T, "v"> : never;

/** Round trips remembered; the node's latency is the least of them (noise only ever adds). */
const RTT_SAMPLES = 5;

/** A connected node (logged in or not yet). */
export class NodeConnection {
  readonly id = randomUUID();
  address: string | null = null;
  agent: string | null = null;
  nonce: string | null = randomBytes(32).toString("hex");
  status: NodeStatus | null = null;
  readonly jobs = new Map<string, NodeJobListener>();
  lastIdleAtMs: number;
  badFrames = 0;
  alive = true;
  queue: Promise<void> = Promise.resolve();
  private readonly rtts: number[] = [];
  private pingSentAt: number | null = null;

  constructor(
    readonly socket: WebSocket,
    private readonly now: () => number,
  ) {
    this.lastIdleAtMs = now();
    socket.on("pong", () => this.ponged());
  }

  send(message: WithoutV<CoordinatorMessage>): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(encodeCoordinatorMessage(message));
  }

  /** Sends a ping (timed unless one is still unanswered); false when the socket is unusable. */
  ping(): boolean {
    try {
      if (this.pingSentAt === null) this.pingSentAt = performance.now();
      this.socket.ping();
      return true;
    } catch {
      return false;
    }
  }

  /** The hub's routing snapshot of this node and what it was made from (node-hub.ts). */
  routingSnapshot: unknown = undefined;
  /** Pongs timed so far (routing snapshots are remade when it moves). */
  rttSamples = 0;
  private rttLeast: number | null = null;

  /** Round trip of the WebSocket ping, ms: the least of the recent ones; null until a pong. */
  get rttMs(): number | null {
    return this.rttLeast;
  }

  /** Memory the node can hold a model in: RAM, plus VRAM where it is separate from RAM. */
  memoryBytes(): number | undefined {
    const hw = this.status?.hardware;
    if (!hw) return undefined;
    return hw.backend === "metal" ? hw.memoryBytes : hw.memoryBytes + (hw.vramBytes ?? 0);
  }

  private ponged(): void {
    this.alive = true;
    if (this.pingSentAt === null) return;
    this.rtts.push(performance.now() - this.pingSentAt);
    this.pingSentAt = null;
    if (this.rtts.length > RTT_SAMPLES) this.rtts.shift();
    this.rttLeast = Math.min(...this.rtts);
    this.rttSamples++;
  }
}

/** The bytes of a WebSocket message, whatever shape `ws` delivered it in. */
export function rawToBytes(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** True when a login answers `nonce` (this connection's challenge) with the address's own signature. */
export async function loginIsValid(msg: Extract<NodeMessage, { type: "login" }>, nonce: string | null, coordinatorId: string): Promise<boolean> {
  if (nonce === null || msg.nonce !== nonce) return false;
  try {
    return await verifyTypedData({ address: msg.address as `0x${string}`, ...loginTypedData(nonce, coordinatorId), signature: msg.signature as `0x${string}` });
  } catch {
    return false;
  }
}
