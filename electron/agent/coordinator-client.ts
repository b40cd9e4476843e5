/**
 * The node's connection to the coordinator: a WebSocket the node opens (so it works behind
 * NAT), logged in by signing the coordinator's one-time challenge, and reopened with
 * exponential backoff and full jitter whenever it drops.
 */
import WebSocket from "ws";
import type { Logger } from "../../shared/logger";
import {
  encodeNodeMessage,
  MAX_FRAME_BYTES,
  parseCoordinatorMessage,
  type CoordinatorMessage,
  type NodeMessage,
  type NodeStatus,
} from "../../shared/protocol";
import type { NodeWallet } from "./wallet";

type WithoutV<T> = T extends unknown ? Omit<T, "v"> : never;
/** A message the node sends, without the version (added on the way out). */
export type OutgoingNodeMessage = WithoutV<NodeMessage>;

/** Messages the agent handles once logged in (the client handles challenge itself). */
export type InboundMessage = Exclude<CoordinatorMessage, { type: "challenge" }>;

export interface CoordinatorClientOptions {
  /** ws:// or wss:// address of the coordinator's node endpoint. */
  readonly url: string;
  readonly wallet: NodeWallet;
  readonly agentVersion: string;
  /** The node's status at the moment of login. */
  readonly status: () => NodeStatus;
  readonly onMessage: (message: InboundMessage) => void;
  /** Called with true once logged in, false when the connection drops. */
  readonly onConnection: (connected: boolean, reason: string) => void;
  readonly logger: Logger;
  /** First reconnect delay; doubles per failed attempt up to {@link maxBackoffMs}. */
  readonly baseBackoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly random?: () => number;
}

/** Delay before reconnect attempt `attempt` (0-based): full jitter over an exponential cap. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const cap = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(baseMs / 2 + random() * (cap - baseMs / 2));
}

/** One long-lived, self-healing connection to the coordinator. */
export class CoordinatorClient {
  private socket: WebSocket | null = null;
  private loggedIn = false;
  private attempt = 0;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly options: CoordinatorClientOptions) {}

  /** True while logged in. */
  get connected(): boolean {
    return this.loggedIn;
  }

  /** Opens the connection (and keeps reopening it until {@link close}). */
  start(): void {
    this.closed = false;
    this.open();
  }

  /** Sends a message if logged in; returns false when it could not be sent. */
  send(message: OutgoingNodeMessage): boolean {
    const socket = this.socket;
    if (!socket || !this.loggedIn || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(encodeNodeMessage(message));
    return true;
  }

  /** Closes the connection for good. */
  async close(): Promise<void> {
    this.closed = true;
    // A later start() logs in afresh (the agent does so under a restored wallet).
    this.loggedIn = false;
    this.attempt = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const socket = this.socket;
    this.socket = null;
    if (!socket) return;
    await new Promise<void>((resolve) => {
      if (socket.readyState === WebSocket.CLOSED) return resolve();
      const force = setTimeout(() => {
        socket.terminate();
        resolve();
      }, 1000);
      socket.once("close", () => {
        clearTimeout(force);
        resolve();
      });
      socket.close(1000, "node stopping");
    });
  }

  private open(): void {
    const { url, logger } = this.options;
    const socket = new WebSocket(url, { maxPayload: MAX_FRAME_BYTES, handshakeTimeout: 10_000 });
    this.socket = socket;
    socket.on("message", (data, isBinary) => {
      if (this.socket !== socket) return;
      this.receive(socket, isBinary ? new Uint8Array(data as Buffer) : (data as Buffer).toString("utf8"));
    });
    socket.on("error", (error) => logger.warn("coordinator connection error", { error: error.message }));
    socket.on("close", (code, reason) => {
      if (this.socket !== socket) return;
      this.socket = null;
      const wasLoggedIn = this.loggedIn;
      this.loggedIn = false;
      const why = reason.toString() || `connection closed (${code})`;
      if (wasLoggedIn) this.options.onConnection(false, why);
      else this.options.onConnection(false, `cannot reach the coordinator: ${why}`);
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    const delay = backoffDelay(
      this.attempt++,
      this.options.baseBackoffMs ?? 500,
      this.options.maxBackoffMs ?? 30_000,
      this.options.random ?? Math.random,
    );
    this.options.logger.info("reconnecting to the coordinator", { inMs: delay, attempt: this.attempt });
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.closed) this.open();
    }, delay);
  }

  private receive(socket: WebSocket, raw: string | Uint8Array): void {
    const parsed = parseCoordinatorMessage(raw);
    if (!parsed.ok) {
      this.options.logger.warn("refused a message from the coordinator", { error: parsed.error });
      if (socket.readyState === WebSocket.OPEN) socket.send(encodeNodeMessage({ type: "error", code: "bad_message", message: parsed.error }));
      return;
    }
    const message = parsed.value;
    if (message.type === "challenge") {
      void this.login(socket, message.nonce, message.coordinatorId);
      return;
    }
    if (message.type === "welcome") {
      this.loggedIn = true;
      this.attempt = 0;
      this.options.onConnection(true, "connected");
    }
    this.options.onMessage(message);
  }

  private async login(socket: WebSocket, nonce: string, coordinatorId: string): Promise<void> {
    const { wallet, agentVersion } = this.options;
    try {
      const signature = await wallet.signLogin(nonce, coordinatorId);
      if (socket.readyState !== WebSocket.OPEN) return;
      socket.send(
        encodeNodeMessage({ type: "login", address: wallet.address, nonce, signature, agent: agentVersion, status: this.options.status() }),
      );
    } catch (error) {
      this.options.logger.error("could not sign the login challenge", { error: (error as Error).message });
      socket.close(1011, "login signing failed");
    }
  }
}
