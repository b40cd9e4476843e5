/* eslint-disable no-restricted-imports -- this test runs in Node, against a real WebSocket server */
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket, WebSocketServer, type WebSocket as ServerSocket } from "ws";
import type { NodeState } from "../shared/control-api";
import { DEFAULT_SETTINGS } from "../shared/settings";
import { sampleCatalog, sampleDiagnostics, sampleInstalled, sampleNodeState } from "../tests/fake-electron/fake-control-api";
import { BAD_REPLY_ERROR, createControlClient, tokenFromHash, type ConnectionStatus, type ControlClient, type SocketLike } from "./control-client";

const TOKEN = "test-token-0123456789";

/** A small scripted control server: records what it receives, answers as each test wants. */
async function startServer(onMessage: (socket: ServerSocket, message: Record<string, unknown>, index: number) => void) {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
  const received: Record<string, unknown>[] = [];
  let connections = 0;
  wss.on("connection", (socket) => {
    connections += 1;
    let index = 0;
    socket.on("message", (data) => {
      const message = JSON.parse(data.toString()) as Record<string, unknown>;
      received.push(message);
      onMessage(socket, message, index++);
    });
  });
  const port = (wss.address() as AddressInfo).port;
  return {
    wss,
    url: `ws://127.0.0.1:${port}/control`,
    received,
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}

/** Waits until `check` holds, polling for at most 5 s. */
async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const nodeSocket = (url: string) => new WebSocket(url) as unknown as SocketLike;

describe("control client", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function client(url: string, extra: { callTimeoutMs?: number } = {}): ControlClient {
    const c = createControlClient({ url, token: TOKEN, createSocket: nodeSocket, backoff: { initialMs: 20, maxMs: 100 }, ...extra });
    cleanups.push(() => c.close());
    return c;
  }

  it("reads the token from the dashboard link's fragment", () => {
    expect(tokenFromHash("#token=abc_DEF-1")).toBe("abc_DEF-1");
    expect(tokenFromHash("#other=1")).toBeNull();
    expect(tokenFromHash("")).toBeNull();
  });

  it("sends the token first, then calls, and resolves each call with its own reply", async () => {
    const state = sampleNodeState();
    const server = await startServer((socket, message) => {
      if (message.method === "getState") socket.send(JSON.stringify({ type: "reply", id: message.id, ok: true, value: state }));
      if (message.method === "setSharing")
        socket.send(JSON.stringify({ type: "reply", id: message.id, ok: true, value: { ...state, sharing: message.on } }));
    });
    cleanups.push(server.close);
    const c = client(server.url);
    const [a, b] = await Promise.all([c.getState(), c.setSharing(true)]);
    expect(server.received[0]).toEqual({ token: TOKEN });
    expect(a).toEqual({ ok: true, value: state });
    expect(b).toMatchObject({ ok: true, value: { sharing: true } });
    expect(c.connection).toBe("open");
  });

  /** Each method, the frame it must send, a valid answer, and an answer that breaks its schema. */
  const methods = () => {
    const state = sampleNodeState();
    const models = { installed: sampleInstalled(), catalog: sampleCatalog() };
    return [
      { call: (c: ControlClient) => c.getState(), frame: { method: "getState" }, value: state, bad: { ...state, activity: "dancing" } },
      { call: (c: ControlClient) => c.setSharing(true), frame: { method: "setSharing", on: true }, value: state, bad: { sharing: true } },
      { call: (c: ControlClient) => c.getSettings(), frame: { method: "getSettings" }, value: DEFAULT_SETTINGS, bad: { ...DEFAULT_SETTINGS, parallelSequences: 0 } },
      {
        call: (c: ControlClient) => c.updateSettings({ contextSize: 4096 }),
        frame: { method: "updateSettings", patch: { contextSize: 4096 } },
        value: { ...DEFAULT_SETTINGS, contextSize: 4096 },
        bad: { contextSize: "big" },
      },
      { call: (c: ControlClient) => c.listModels(), frame: { method: "listModels" }, value: models, bad: { installed: "none" } },
      { call: (c: ControlClient) => c.pullModel("hf:a/b/c.gguf"), frame: { method: "pullModel", ref: "hf:a/b/c.gguf" }, value: null, bad: { started: true } },
      { call: (c: ControlClient) => c.cancelDownload("download-1"), frame: { method: "cancelDownload", downloadId: "download-1" }, value: null, bad: 1 },
      { call: (c: ControlClient) => c.removeModel("m1"), frame: { method: "removeModel", modelId: "m1" }, value: null, bad: "deleted" },
      { call: (c: ControlClient) => c.useModel("m1"), frame: { method: "useModel", modelId: "m1" }, value: state, bad: null },
      {
        call: (c: ControlClient) => c.pause(1_900_000_000_000),
        frame: { method: "pause", until: 1_900_000_000_000 },
        value: { ...state, activity: "paused", reason: "Paused until 14:30" },
        bad: { ...state, decision: { share: "no" } },
      },
      { call: (c: ControlClient) => c.resume(), frame: { method: "resume" }, value: state, bad: { ...state, signals: { latest: null } } },
      {
        call: (c: ControlClient) => c.getDiagnostics(),
        frame: { method: "getDiagnostics" },
        value: { node: { share: true, reason: "Sharing: always on" }, coordinator: sampleDiagnostics() },
        bad: { node: { share: true, reason: "ok" }, coordinator: { connected: true } },
      },
      {
        call: (c: ControlClient) => c.withdraw({ to: state.address, amountMicroUsd: 5_000_000 }),
        frame: { method: "withdraw", withdrawal: { to: state.address, amountMicroUsd: 5_000_000 } },
        value: { id: "wd_1", to: state.address, amountMicroUsd: 5_000_000, feeMicroUsd: 100_000, status: "requested", txHash: null, failureReason: null, chainId: 8453, createdAt: 1, updatedAt: 1 },
        bad: { id: "wd_1", status: "requested" },
      },
      { call: (c: ControlClient) => c.listWithdrawals(), frame: { method: "listWithdrawals" }, value: [], bad: [{ amountMicroUsd: -1 }] },
    ];
  };

  it("sends each method's request frame and resolves with the answer its schema accepts", async () => {
    const cases = methods();
    const server = await startServer((socket, message) => {
      const match = cases.find((c) => c.frame.method === message.method);
      if (match) socket.send(JSON.stringify({ type: "reply", id: message.id, ok: true, value: match.value }));
    });
    cleanups.push(server.close);
    const c = client(server.url);
    for (const entry of cases) {
      expect(await entry.call(c), entry.frame.method).toEqual({ ok: true, value: entry.value });
      const { id, ...sent } = server.received.at(-1) as { id: number };
      expect(sent, entry.frame.method).toEqual(entry.frame);
      expect(typeof id).toBe("number");
    }
  });

  it("refuses an answer that breaks the method's schema, and passes the node's refusals on", async () => {
    const cases = methods();
    const server = await startServer((socket, message) => {
      const match = cases.find((c) => c.frame.method === message.method);
      if (!match) return;
      if (message.method === "removeModel") socket.send(JSON.stringify({ type: "reply", id: message.id, ok: false, error: "This model is being served" }));
      else socket.send(JSON.stringify({ type: "reply", id: message.id, ok: true, value: match.bad }));
    });
    cleanups.push(server.close);
    const c = client(server.url);
    for (const entry of cases) {
      const expected = entry.frame.method === "removeModel" ? "This model is being served" : BAD_REPLY_ERROR;
      expect(await entry.call(c), entry.frame.method).toEqual({ ok: false, error: expected });
    }
  });

  it("delivers pushed state and ignores frames that break the contract", async () => {
    const state = sampleNodeState({ activity: "earning", reason: "Earning: serving a job" });
    const server = await startServer((socket, _message, index) => {
      if (index !== 0) return;
      socket.send("{garbage");
      socket.send(JSON.stringify({ type: "state", state: { ...state, activity: "dancing" } }));
      socket.send(JSON.stringify({ type: "state", state }));
    });
    cleanups.push(server.close);
    const c = client(server.url);
    const seen: NodeState[] = [];
    c.onState((s) => seen.push(s));
    await until(() => seen.length > 0, "a state push");
    expect(seen).toEqual([state]);
  });

  it("fails a call the node never answers, after the timeout", async () => {
    const server = await startServer(() => {});
    cleanups.push(server.close);
    const c = client(server.url, { callTimeoutMs: 200 });
    const started = Date.now();
    const result = await c.getState();
    expect(result).toEqual({ ok: false, error: "The node did not answer in time." });
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  it("reconnects after the connection drops and sends the token again", async () => {
    const state = sampleNodeState();
    const server = await startServer((socket, message, index) => {
      if (index === 0) return;
      if (server.connections === 1) {
        socket.terminate();
        return;
      }
      socket.send(JSON.stringify({ type: "reply", id: message.id, ok: true, value: state }));
    });
    cleanups.push(server.close);
    const c = client(server.url);
    const statuses: ConnectionStatus[] = [];
    c.onConnection((s) => statuses.push(s));
    const lost = await c.getState();
    expect(lost.ok).toBe(false);
    await until(() => c.connection === "open" && server.connections === 2, "the second connection");
    const again = await c.getState();
    expect(again).toEqual({ ok: true, value: state });
    expect(statuses).toContain("reconnecting");
    expect(server.received.filter((m) => m.token === TOKEN)).toHaveLength(2);
  });

  it("stops for good when the server refuses the token", async () => {
    const server = await startServer((socket) => socket.close(4401, "wrong token"));
    cleanups.push(server.close);
    const c = client(server.url);
    await until(() => c.connection === "unauthorized", "the refusal");
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(server.connections).toBe(1);
    expect(await c.getState()).toEqual({ ok: false, error: "This dashboard link is no longer valid." });
  });

  it("stops reconnecting once closed", async () => {
    const server = await startServer(() => {});
    cleanups.push(server.close);
    const c = client(server.url);
    await until(() => c.connection === "open", "the connection");
    c.close();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(server.connections).toBe(1);
    expect(c.connection).toBe("closed");
  });
});
