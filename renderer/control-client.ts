/**
 * The dashboard's {@link ControlApi} over the agent's control WebSocket: sends the session token
 * first, checks every frame against the contract (each reply's value against its method's schema
 * in `controlResultSchemas`), puts a timeout on every call and reconnects with backoff when the
 * connection drops.
 */
import {
  controlResultSchemas,
  controlServerFrameSchema,
  type ControlApi,
  type ControlMethod,
  type NodeState,
  type Result,
} from "../shared/control-api";
import type { ControlArgs, ControlValue } from "../shared/control-dispatch";
import { readHash } from "./routes";

/** Where the connection to the node stands. */
export type ConnectionStatus = "connecting" | "open" | "reconnecting" | "unauthorized" | "closed";

/** The part of a WebSocket the client uses; the browser's and the `ws` package's both fit. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: "open", listener: () => void): void;
  addEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
  addEventListener(type: "close", listener: (event: { code: number }) => void): void;
  addEventListener(type: "error", listener: () => void): void;
}

export interface ControlClientOptions {
  /** ws://host:port/control */
  readonly url: string;
  readonly token: string;
  readonly createSocket?: (url: string) => SocketLike;
  /** How long a call may wait for its answer (ms), connecting included. */
  readonly callTimeoutMs?: number;
  /** First and longest wait between reconnection attempts (ms). */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
}

/** A {@link ControlApi} that also reports its connection. */
export interface ControlClient extends ControlApi {
  readonly connection: ConnectionStatus;
  onConnection(listener: (status: ConnectionStatus) => void): () => void;
  /** Closes the connection for good; pending calls fail. */
  close(): void;
}

/** WebSocket close code the server uses for a wrong token. */
const CLOSE_UNAUTHORIZED = 4401;
const OPEN = 1;

/** The answer a call gets when the node sent something outside the contract. */
export const BAD_REPLY_ERROR = "The node sent an answer this dashboard does not understand.";

interface PendingCall {
  readonly method: ControlMethod;
  readonly frame: string;
  sent: boolean;
  readonly resolve: (result: Result<unknown>) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/** Reads the session token from a dashboard link's fragment (`#token=…`, or `#/models?token=…`). */
export function tokenFromHash(hash: string): string | null {
  return readHash(hash).token;
}

/** Creates the client and starts connecting. */
export function createControlClient(options: ControlClientOptions): ControlClient {
  const createSocket = options.createSocket ?? ((url: string) => new WebSocket(url) as unknown as SocketLike);
  const callTimeoutMs = options.callTimeoutMs ?? 10_000;
  const backoff = options.backoff ?? { initialMs: 500, maxMs: 10_000 };

  const stateListeners = new Set<(state: NodeState) => void>();
  const connectionListeners = new Set<(status: ConnectionStatus) => void>();
  const pending = new Map<number, PendingCall>();
  let status: ConnectionStatus = "connecting";
  let socket: SocketLike | null = null;
  let nextId = 1;
  let attempt = 0;
  let reconnectTimer: ReturnType<typeof setTimeout> | null = null;

  function setStatus(next: ConnectionStatus): void {
    if (next === status) return;
    status = next;
    for (const listener of connectionListeners) listener(next);
  }

  function finish(id: number, result: Result<unknown>): void {
    const call = pending.get(id);
    if (!call) return;
    clearTimeout(call.timer);
    pending.delete(id);
    call.resolve(result);
  }

  function handleFrame(data: unknown): void {
    if (typeof data !== "string") return;
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      return;
    }
    const parsed = controlServerFrameSchema.safeParse(json);
    if (!parsed.success) return;
    const frame = parsed.data;
    if (frame.type === "state") {
      for (const listener of stateListeners) listener(frame.state);
      return;
    }
    if (!frame.ok) {
      finish(frame.id, { ok: false, error: frame.error });
      return;
    }
    const call = pending.get(frame.id);
    if (!call) return;
    const value = controlResultSchemas[call.method].safeParse(frame.value);
    finish(frame.id, value.success ? { ok: true, value: value.data } : { ok: false, error: BAD_REPLY_ERROR });
  }

  function connect(): void {
    const current = createSocket(options.url);
    socket = current;
    current.addEventListener("open", () => {
      if (socket !== current) return;
      attempt = 0;
      current.send(JSON.stringify({ token: options.token }));
      setStatus("open");
      for (const call of pending.values()) {
        if (!call.sent) {
          current.send(call.frame);
          call.sent = true;
        }
      }
    });
    current.addEventListener("message", (event) => {
      if (socket === current) handleFrame(event.data);
    });
    current.addEventListener("error", () => {
      // A "close" event always follows; reconnection is handled there.
    });
    current.addEventListener("close", (event) => {
      if (socket !== current) return;
      socket = null;
      for (const [id, call] of pending) {
        if (call.sent) finish(id, { ok: false, error: "The connection to the node was lost before it answered." });
      }
      if (status === "closed") return;
      if (event.code === CLOSE_UNAUTHORIZED) {
        setStatus("unauthorized");
        for (const id of [...pending.keys()]) finish(id, { ok: false, error: "This dashboard link is no longer valid." });
        return;
      }
      setStatus("reconnecting");
      const delay = Math.min(backoff.maxMs, backoff.initialMs * 2 ** attempt);
      attempt += 1;
      reconnectTimer = setTimeout(() => {
        reconnectTimer = null;
        if (status !== "closed") connect();
      }, delay);
    });
  }

  /** Sends one request and resolves with its checked answer (or why there is none). */
  function call<M extends ControlMethod>(method: M, args: ControlArgs<M>): Promise<Result<ControlValue<M>>> {
    if (status === "closed") return Promise.resolve({ ok: false, error: "The dashboard is closed." });
    if (status === "unauthorized") return Promise.resolve({ ok: false, error: "This dashboard link is no longer valid." });
    const id = nextId++;
    const frame = JSON.stringify({ ...args, method, id });
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(id, { ok: false, error: "The node did not answer in time." }), callTimeoutMs);
      // The value was checked against this method's schema in handleFrame.
      const entry: PendingCall = { method, frame, sent: false, resolve: resolve as (result: Result<unknown>) => void, timer };
      pending.set(id, entry);
      if (socket !== null && socket.readyState === OPEN && status === "open") {
        socket.send(frame);
        entry.sent = true;
      }
    });
  }

  connect();

  return {
    get connection() {
      return status;
    },
    getState: () => call("getState", {}),
    setSharing: (on) => call("setSharing", { on }),
    getSettings: () => call("getSettings", {}),
    updateSettings: (patch) => call("updateSettings", { patch }),
    listModels: () => call("listModels", {}),
    pullModel: (ref) => call("pullModel", { ref }),
    cancelDownload: (downloadId) => call("cancelDownload", { downloadId }),
    removeModel: (modelId) => call("removeModel", { modelId }),
    useModel: (modelId) => call("useModel", { modelId }),
    pause: (until) => call("pause", { until }),
    resume: () => call("resume", {}),
    getDiagnostics: () => call("getDiagnostics", {}),
    getEarnings: (range) => call("getEarnings", { range }),
    getWithdrawalTerms: () => call("getWithdrawalTerms", {}),
    withdraw: (withdrawal) => call("withdraw", { withdrawal }),
    listWithdrawals: () => call("listWithdrawals", {}),
    appeal: (statement) => call("appeal", { statement }),
    getWallet: () => call("getWallet", {}),
    unlockWallet: () => call("unlockWallet", {}),
    backupWallet: (confirm) => call("backupWallet", { confirm }),
    restoreWallet: (restore) => call("restoreWallet", { restore }),
    showLogs: () => call("showLogs", {}),
    exportLogs: () => call("exportLogs", {}),
    onState(listener) {
      stateListeners.add(listener);
      return () => stateListeners.delete(listener);
    },
    onConnection(listener) {
      connectionListeners.add(listener);
      return () => connectionListeners.delete(listener);
    },
    close() {
      setStatus("closed");
      if (reconnectTimer !== null) clearTimeout(reconnectTimer);
      for (const id of [...pending.keys()]) finish(id, { ok: false, error: "The dashboard is closed." });
      const current = socket;
      socket = null;
      current?.close(1000, "closed");
    },
  };
}
