/**
 * A simulated node for tests: speaks the real protocol over `ws`, logs in with a fresh wallet
 * key, answers jobs with given tokens at a set pace and a signed receipt, and can misbehave on
 * request (bad login or receipt signature, dropping, failing, ignoring a cancel).
 */
import { createHash } from "node:crypto";
import WebSocket from "ws";
import secp256k1 from "secp256k1";
import { bytesToHex, hexToBytes } from "viem";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import {
  encodeNodeMessage,
  parseCoordinatorMessage,
  type AdvertisedModel,
  type CoordinatorMessage,
  type JobFailureCode,
  type JobInput,
  type NodeMessage,
  type NodeStatus,
  type Receipt,
} from "../../shared/protocol";
import type { ModelPrice } from "../../shared/money";
import { loginTypedData } from "../../shared/typed-data";
import { receiptDigest } from "../receipt-digest";

type WithoutV<T> = T extends unknown ? Omit<T, "v"> : never;

/** How the simulated node behaves. */
export interface SimNodeOptions {
  readonly wsUrl: string;
  /** The wallet key (default: a fresh one). */
  readonly privateKey?: `0x${string}`;
  readonly models?: readonly string[];
  readonly capacity?: number;
  readonly sharing?: boolean;
  /** The output, one protocol `tokens` message per entry (default "Hello", ",", " world", "!"). */
  readonly tokens?: readonly string[];
  readonly tokenIntervalMs?: number;
  /** Prompt tokens it reports (default: a quarter of the prompt's bytes, at least 1). */
  readonly promptTokens?: number;
  /** Ways to misbehave. */
  readonly loginWithWrongKey?: boolean;
  readonly receiptWithWrongKey?: boolean;
  readonly dropBeforeFirstToken?: boolean;
  readonly dropAfterTokens?: number;
  readonly failWith?: { readonly code: JobFailureCode; readonly retryable: boolean; readonly message?: string };
  readonly ignoreCancel?: boolean;
  /** Never answer a job at all (to exercise the dispatch timeout). */
  readonly silent?: boolean;
  /** Stop sending anything for a job after this many tokens, keeping the socket open. */
  readonly stallAfterTokens?: number;
  /** Do not answer WebSocket pings (a dead node that still holds its socket). */
  readonly noPong?: boolean;
  /** Answer WebSocket pings this late (a node far away). */
  readonly pongDelayMs?: number;
  /** Asking price advertised for every model. */
  readonly price?: ModelPrice;
  /** Model size and machine memory advertised. */
  readonly sizeBytes?: number;
  readonly memoryBytes?: number;
  /** Claim this many tokens per token streamed, in `tokens` messages and the receipt (a cheat). */
  readonly inflateCount?: number;
  /** Break off after this many tokens with a `failed` carrying a receipt for them (like a node whose worker crashed). */
  readonly failAfterTokens?: { readonly count: number; readonly code: JobFailureCode };
}

/** A connected simulated node; `received` holds every message the coordinator sent it. */
export class SimNode {
  readonly account: PrivateKeyAccount;
  readonly received: CoordinatorMessage[] = [];
  /** Resolves with the close code when the socket closes. */
  readonly closed: Promise<number>;
  private readonly socket: WebSocket;
  private readonly waiters = new Set<() => void>();
  private readonly cancelled = new Set<string>();
  /** The `done` messages this node sent, by job id (to replay one in a test). */
  readonly sentDone = new Map<string, WithoutV<Extract<NodeMessage, { type: "done" }>>>();
  /** Job ids this node was sent. */
  readonly jobIds: string[] = [];
  /** The jobs this node was sent. */
  readonly jobs: Extract<CoordinatorMessage, { type: "job" }>[] = [];

  private readonly privateKey: `0x${string}`;

  private constructor(private readonly opts: SimNodeOptions) {
    this.privateKey = opts.privateKey ?? generatePrivateKey();
    this.account = privateKeyToAccount(this.privateKey);
    this.socket = new WebSocket(opts.wsUrl, { autoPong: !opts.noPong && opts.pongDelayMs === undefined });
    if (opts.pongDelayMs !== undefined && !opts.noPong) {
      const delay = opts.pongDelayMs;
      this.socket.on("ping", (data) => setTimeout(() => this.isOpen && this.socket.pong(data), delay));
    }
    this.closed = new Promise((resolve) => this.socket.on("close", (code) => resolve(code)));
    this.socket.on("error", () => {});
    this.socket.on("message", (data) => void this.onFrame(String(data)));
  }

  /** Connects and logs in; resolves once the coordinator answered with `welcome` or refused. */
  static async connect(opts: SimNodeOptions): Promise<SimNode> {
    const node = new SimNode(opts);
    try {
      await node.waitFor((m) => m.type === "welcome" || m.type === "error", 5_000);
    } catch (err) {
      // Nobody holds the node: its socket must not stay open (and routable) behind the caller.
      await node.close();
      throw err;
    }
    return node;
  }

  get address(): string {
    return this.account.address;
  }

  /** Messages of one type received so far. */
  messages<T extends CoordinatorMessage["type"]>(type: T): Extract<CoordinatorMessage, { type: T }>[] {
    return this.received.filter((m): m is Extract<CoordinatorMessage, { type: T }> => m.type === type);
  }

  /** Waits (bounded) for a received message matching `match`, including ones already received. */
  waitFor(match: (m: CoordinatorMessage) => boolean, timeoutMs = 3_000): Promise<CoordinatorMessage> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.received.find(match);
        if (!found) return false;
        this.waiters.delete(check as () => void);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check as () => void);
        reject(new Error(`sim node: no matching message within ${timeoutMs} ms`));
      }, timeoutMs);
      if (!check()) this.waiters.add(check as () => void);
    });
  }

  /** Sends a raw frame (for malformed-input tests). */
  sendRaw(text: string): void {
    this.socket.send(text);
  }

  /** Sends a protocol message. */
  send(message: WithoutV<NodeMessage>): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(encodeNodeMessage(message));
  }

  /** Sends a status update. */
  sendStatus(change: Partial<Pick<NodeStatus, "sharing" | "capacity">> & { models?: readonly string[] }): void {
    this.send({ type: "status", status: this.status(change) });
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** Closes the connection. */
  async close(): Promise<void> {
    if (this.socket.readyState !== WebSocket.CLOSED) this.socket.terminate();
    await this.closed;
  }

  private status(change: Partial<Pick<NodeStatus, "sharing" | "capacity">> & { models?: readonly string[] } = {}): NodeStatus {
    const models: AdvertisedModel[] = (change.models ?? this.opts.models ?? ["sim-model"]).map((id) => ({
      id,
      label: id,
      contextSize: 2048,
      demo: false,
      ...(this.opts.price ? { price: this.opts.price } : {}),
      ...(this.opts.sizeBytes !== undefined ? { sizeBytes: this.opts.sizeBytes } : {}),
    }));
    return {
      sharing: change.sharing ?? this.opts.sharing ?? true,
      reason: "Sharing",
      models,
      capacity: change.capacity ?? this.opts.capacity ?? 1,
      hardware: { backend: "cpu", gpu: null, cpu: "simulated", memoryBytes: this.opts.memoryBytes ?? 8 * 2 ** 30, vramBytes: null },
    };
  }

  private async onFrame(raw: string): Promise<void> {
    const parsed = parseCoordinatorMessage(raw);
    if (!parsed.ok) return;
    const msg = parsed.value;
    this.received.push(msg);
    for (const w of [...this.waiters]) w();
    if (msg.type === "challenge") {
      const signer = this.opts.loginWithWrongKey ? privateKeyToAccount(generatePrivateKey()) : this.account;
      const signature = await signer.signTypedData(loginTypedData(msg.nonce, msg.coordinatorId));
      this.send({ type: "login", address: this.account.address, nonce: msg.nonce, signature, agent: "sim-node/1", status: this.status() });
    } else if (msg.type === "job") {
      this.jobIds.push(msg.jobId);
      this.jobs.push(msg);
      void this.runJob(msg.jobId, msg.model, msg.input, msg.sampling.maxTokens);
    } else if (msg.type === "cancel") {
      this.cancelled.add(msg.jobId);
    }
  }

  /**
   * Signs a receipt as a node's wallet does (EIP-712), with libsecp256k1 over the receipt's digest:
   * the same signature as viem's `signTypedData` (both deterministic, low-s), at a fraction of the
   * cost, so a bench's thousand simulated nodes do not take the cores the coordinator is measured on.
   */
  private async sign(receipt: Omit<Receipt, "signature">): Promise<Receipt> {
    const key = this.opts.receiptWithWrongKey ? generatePrivateKey() : this.privateKey;
    const { signature, recid } = secp256k1.ecdsaSign(hexToBytes(receiptDigest(receipt)), hexToBytes(key));
    return { ...receipt, signature: `${bytesToHex(signature)}${(27 + recid).toString(16)}` };
  }

  private async runJob(jobId: string, model: string, input: JobInput, maxTokens: number): Promise<void> {
    const o = this.opts;
    if (o.silent) return;
    if (o.failWith) {
      this.send({ type: "failed", jobId, code: o.failWith.code, message: o.failWith.message ?? "simulated failure", retryable: o.failWith.retryable });
      return;
    }
    if (o.dropBeforeFirstToken) {
      this.socket.terminate();
      return;
    }
    // Like a greedy model: the same answer for every prompt; a continuation picks it up after
    // the text it was given.
    const all = o.tokens ?? ["Hello", ",", " world", "!"];
    let skip = 0;
    for (let prefix = ""; skip < all.length && (input.prefill ?? "").startsWith(prefix + all[skip]) && (input.prefill ?? "") !== prefix; skip++) {
      prefix += all[skip];
    }
    const tokens = all.slice(skip, skip + maxTokens);
    const per = o.inflateCount ?? 1;
    let text = "";
    let sent = 0;
    let finishReason: "stop" | "length" | "cancelled" = tokens.length === maxTokens ? "length" : "stop";
    for (const token of tokens) {
      if (this.cancelled.has(jobId) && !o.ignoreCancel) {
        finishReason = "cancelled";
        break;
      }
      await new Promise((r) => setTimeout(r, o.tokenIntervalMs ?? 5));
      if (!this.isOpen) return;
      this.send({ type: "tokens", jobId, text: token, count: per });
      text += token;
      sent += per;
      if (o.failAfterTokens && sent >= o.failAfterTokens.count * per) {
        const receipt = await this.sign({ jobId, model, promptTokens: 0, completionTokens: sent, outputHash: sha256(text) });
        this.send({ type: "failed", jobId, code: o.failAfterTokens.code, message: "simulated break", retryable: true, receipt });
        return;
      }
      if (o.stallAfterTokens !== undefined && sent >= o.stallAfterTokens) return;
      if (o.dropAfterTokens !== undefined && sent >= o.dropAfterTokens) {
        this.socket.terminate();
        return;
      }
    }
    if (this.cancelled.has(jobId) && !o.ignoreCancel) finishReason = "cancelled";
    const promptBytes = Buffer.byteLength((input.kind === "completion" ? input.prompt : input.messages.map((m) => m.content).join("")) + (input.prefill ?? ""), "utf8");
    const receipt = await this.sign({
      jobId,
      model,
      promptTokens: o.promptTokens ?? Math.max(1, Math.ceil(promptBytes / 4)),
      completionTokens: sent,
      outputHash: sha256(text),
    });
    const done = { type: "done" as const, jobId, finishReason, receipt };
    this.sentDone.set(jobId, done);
    this.send(done);
  }
}

function sha256(text: string): `0x${string}` {
  return `0x${createHash("sha256").update(text, "utf8").digest("hex")}`;
}
