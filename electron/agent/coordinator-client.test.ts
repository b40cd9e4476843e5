import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { verifyTypedData } from "viem";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer, type WebSocket } from "ws";
import { silentLogger } from "../../shared/logger";
import { encodeCoordinatorMessage, parseNodeMessage, type NodeMessage } from "../../shared/protocol";
import { loginTypedData } from "../../shared/typed-data";
import { backoffDelay, CoordinatorClient, type InboundMessage } from "./coordinator-client";
import { FileKeyStore } from "./key-store";
import { openWallet } from "./wallet";

const status = {
  sharing: true,
  reason: "Ready",
  models: [],
  capacity: 1,
  hardware: { backend: "cpu" as const, gpu: null, cpu: "c", memoryBytes: 1, vramBytes: null },
};

describe("backoff", () => {
  it("grows exponentially, stays within the cap and spreads with jitter", () => {
    const at = (attempt: number, r: number) => backoffDelay(attempt, 500, 30_000, () => r);
    expect(at(0, 0)).toBe(250);
    expect(at(0, 1)).toBe(500);
    expect(at(3, 1)).toBe(4000);
    expect(at(20, 1)).toBe(30_000);
    expect(at(20, 0.5)).toBeLessThan(at(20, 0.9));
  });
});

describe("coordinator client", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function fakeCoordinator(onLogin: (socket: WebSocket, login: Extract<NodeMessage, { type: "login" }>) => void) {
    const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    await new Promise((r) => server.once("listening", r));
    const received: string[] = [];
    server.on("connection", (socket) => {
      socket.send(encodeCoordinatorMessage({ type: "challenge", nonce: "c".repeat(32), coordinatorId: "test-coord" }));
      socket.on("message", (data) => {
        received.push(data.toString());
        const parsed = parseNodeMessage(data.toString());
        if (parsed.ok && parsed.value.type === "login") onLogin(socket, parsed.value);
      });
    });
    cleanups.push(() => new Promise((r) => server.close(() => r())));
    const port = (server.address() as { port: number }).port;
    return { server, url: `ws://127.0.0.1:${port}/v1/node`, received };
  }

  async function wallet() {
    const dir = await mkdtemp(join(tmpdir(), "offpeak-client-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    return openWallet(new FileKeyStore(dir));
  }

  it("logs in with a signature of the challenge, and reconnects after the connection drops", async () => {
    const w = await wallet();
    let logins = 0;
    const coord = await fakeCoordinator(async (socket, login) => {
      const valid = await verifyTypedData({ address: login.address as `0x${string}`, ...loginTypedData(login.nonce, "test-coord"), signature: login.signature as `0x${string}` });
      expect(valid).toBe(true);
      logins++;
      socket.send(encodeCoordinatorMessage({ type: "welcome", address: login.address, balanceMicroUsd: 0, todayMicroUsd: 0 }));
      if (logins === 1) setTimeout(() => socket.terminate(), 20);
    });
    const events: string[] = [];
    const messages: InboundMessage[] = [];
    const client = new CoordinatorClient({
      url: coord.url,
      wallet: w,
      agentVersion: "t",
      status: () => status,
      onMessage: (m) => messages.push(m),
      onConnection: (c) => events.push(c ? "up" : "down"),
      logger: silentLogger,
      baseBackoffMs: 20,
    });
    cleanups.push(() => client.close());
    client.start();
    for (let i = 0; i < 300 && logins < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(logins).toBe(2);
    for (let i = 0; i < 100 && !client.connected; i++) await new Promise((r) => setTimeout(r, 10));
    expect(events).toEqual(["up", "down", "up"]);
    expect(messages.filter((m) => m.type === "welcome")).toHaveLength(2);
    expect(client.send({ type: "status", status })).toBe(true);
  });

  it("answers a malformed frame with an error and stays connected", async () => {
    const w = await wallet();
    let sock: WebSocket | null = null;
    const coord = await fakeCoordinator((socket, login) => {
      sock = socket;
      socket.send(encodeCoordinatorMessage({ type: "welcome", address: login.address, balanceMicroUsd: 0, todayMicroUsd: 0 }));
    });
    const client = new CoordinatorClient({
      url: coord.url,
      wallet: w,
      agentVersion: "t",
      status: () => status,
      onMessage: () => {},
      onConnection: () => {},
      logger: silentLogger,
    });
    cleanups.push(() => client.close());
    client.start();
    for (let i = 0; i < 200 && !client.connected; i++) await new Promise((r) => setTimeout(r, 10));
    (sock as unknown as WebSocket).send("this is not json");
    (sock as unknown as WebSocket).send(JSON.stringify({ v: 1, type: "job", jobId: "" }));
    for (let i = 0; i < 200 && coord.received.filter((r) => r.includes("bad_message")).length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    const errors = coord.received.map((r) => JSON.parse(r)).filter((m) => m.type === "error");
    expect(errors).toHaveLength(2);
    expect(errors[0].message).toMatch(/not valid JSON/);
    expect(client.connected).toBe(true);
  });

  it("keeps retrying while the coordinator is down, without throwing", async () => {
    const w = await wallet();
    const downs: string[] = [];
    const client = new CoordinatorClient({
      url: "ws://127.0.0.1:9/v1/node",
      wallet: w,
      agentVersion: "t",
      status: () => status,
      onMessage: () => {},
      onConnection: (_c, reason) => downs.push(reason),
      logger: silentLogger,
      baseBackoffMs: 10,
      maxBackoffMs: 20,
    });
    cleanups.push(() => client.close());
    client.start();
    for (let i = 0; i < 200 && downs.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    expect(downs.length).toBeGreaterThanOrEqual(3);
    expect(downs[0]).toMatch(/cannot reach the coordinator/);
    expect(client.connected).toBe(false);
  });
});
