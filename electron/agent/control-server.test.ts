import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { controlServerFrameSchema, type ControlServerFrame } from "../../shared/control-api";
import { FakeControlApi } from "../../tests/fake-electron/fake-control-api";
import { CLOSE_UNAUTHORIZED, startControlServer, type ControlServer } from "./control-server";

/** A raw HTTP GET that keeps the path exactly as written (fetch would normalise `..`). */
function rawGet(port: number, rawPath: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: rawPath, method: "GET", headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), headers: res.headers }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** Opens a socket and collects its frames; `next()` waits for the next one (bounded). */
function connect(server: ControlServer, headers: Record<string, string> = {}) {
  const socket = new WebSocket(`ws://127.0.0.1:${server.port}/control`, { headers });
  const frames: ControlServerFrame[] = [];
  const rawFrames: string[] = [];
  let waiter: (() => void) | null = null;
  socket.on("message", (data) => {
    const text = data.toString();
    rawFrames.push(text);
    frames.push(controlServerFrameSchema.parse(JSON.parse(text)));
    waiter?.();
  });
  const closed = new Promise<{ code: number }>((resolve) => socket.on("close", (code) => resolve({ code })));
  const opened = new Promise<void>((resolve, reject) => {
    socket.on("open", () => resolve());
    socket.on("error", reject);
  });
  let read = 0;
  async function next(): Promise<ControlServerFrame> {
    const deadline = Date.now() + 5_000;
    while (read >= frames.length) {
      if (Date.now() > deadline) throw new Error("no frame within 5 s");
      await new Promise<void>((resolve) => {
        waiter = resolve;
        setTimeout(resolve, 100);
      });
    }
    return frames[read++]!;
  }
  return { socket, frames, rawFrames, closed, opened, next };
}

describe("control server", () => {
  let dir: string;
  let control: FakeControlApi;
  let server: ControlServer;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "offpeak-control-"));
    const staticDir = path.join(dir, "renderer");
    await mkdir(path.join(staticDir, "assets"), { recursive: true });
    await writeFile(path.join(staticDir, "index.html"), "<!doctype html><title>Offpeak</title>");
    await writeFile(path.join(staticDir, "assets", "app.js"), "console.log('app')");
    await writeFile(path.join(dir, "secret.txt"), "owner's private file");
    control = new FakeControlApi();
    server = await startControlServer({ control, staticDir, authTimeoutMs: 1_000 });
  });

  afterEach(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("gives a dashboard URL on 127.0.0.1 with a long random token in the fragment", () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/#token=${server.token}`);
    expect(server.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(server.port).toBeGreaterThan(0);
  });

  it("serves the dashboard with its content type, a strict CSP, and index.html for app routes", async () => {
    const js = await fetch(`http://127.0.0.1:${server.port}/assets/app.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toContain("text/javascript");
    expect(await js.text()).toBe("console.log('app')");

    const page = await fetch(`http://127.0.0.1:${server.port}/earnings`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${server.port}`);
    expect(await page.text()).toContain("<title>Offpeak</title>");

    expect((await fetch(`http://127.0.0.1:${server.port}/assets/missing.js`)).status).toBe(404);
  });

  it("never serves a file outside the dashboard folder", async () => {
    for (const attempt of ["/../secret.txt", "/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt", "/..%5csecret.txt"]) {
      const res = await rawGet(server.port, attempt, { Host: `127.0.0.1:${server.port}` });
      expect(res.body, attempt).not.toContain("owner's private file");
    }
  });

  it("answers the state API only with the token", async () => {
    const base = `http://127.0.0.1:${server.port}`;
    expect((await fetch(`${base}/api/state`)).status).toBe(401);
    expect((await fetch(`${base}/api/state`, { headers: { Authorization: "Bearer nope" } })).status).toBe(401);
    const ok = await fetch(`${base}/api/state`, { headers: { Authorization: `Bearer ${server.token}` } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ sharing: false, activity: "off" });
  });

  it("switches sharing through the HTTP API and refuses a bad body", async () => {
    const base = `http://127.0.0.1:${server.port}`;
    const auth = { Authorization: `Bearer ${server.token}`, "Content-Type": "application/json" };
    const bad = await fetch(`${base}/api/sharing`, { method: "POST", headers: auth, body: '{"on":"yes"}' });
    expect(bad.status).toBe(400);
    expect(control.sharingCalls).toEqual([]);
    const res = await fetch(`${base}/api/sharing`, { method: "POST", headers: auth, body: '{"on":true}' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ sharing: true, activity: "ready" });
    expect(control.sharingCalls).toEqual([true]);
  });

  it("refuses requests that name another host (DNS rebinding) or come from another origin", async () => {
    const rebound = await rawGet(server.port, "/api/state", { Host: `evil.example:${server.port}`, Authorization: `Bearer ${server.token}` });
    expect(rebound.status).toBe(403);
    const foreign = await rawGet(server.port, "/", { Host: `127.0.0.1:${server.port}`, Origin: "http://evil.example" });
    expect(foreign.status).toBe(403);
    const client = connect(server, { Origin: "http://evil.example" });
    await expect(client.opened).rejects.toThrow();
  });

  it("closes a socket with a wrong token with 4401 and never answers it", async () => {
    const client = connect(server);
    await client.opened;
    client.socket.send(JSON.stringify({ token: "x".repeat(43) }));
    client.socket.send(JSON.stringify({ id: 1, method: "getState" }));
    expect((await client.closed).code).toBe(CLOSE_UNAUTHORIZED);
    expect(client.frames).toEqual([]);
  });

  it("closes a socket that sends a request before its token", async () => {
    const client = connect(server);
    await client.opened;
    client.socket.send(JSON.stringify({ id: 1, method: "getState" }));
    expect((await client.closed).code).toBe(CLOSE_UNAUTHORIZED);
  });

  it("closes a socket that never sends its token", async () => {
    const client = connect(server);
    await client.opened;
    expect((await client.closed).code).toBe(CLOSE_UNAUTHORIZED);
  });

  it("after the token, sends the state, answers requests and pushes every change", async () => {
    const client = connect(server);
    await client.opened;
    client.socket.send(JSON.stringify({ token: server.token }));
    const first = await client.next();
    expect(first).toMatchObject({ type: "state", state: { sharing: false } });

    client.socket.send(JSON.stringify({ id: 7, method: "setSharing", on: true }));
    const frames = [await client.next(), await client.next()];
    expect(frames).toContainEqual(expect.objectContaining({ type: "state", state: expect.objectContaining({ sharing: true, activity: "ready" }) }));
    expect(frames).toContainEqual(expect.objectContaining({ type: "reply", id: 7, ok: true }));

    control.update({ activity: "earning", reason: "Earning: serving a job" });
    expect(await client.next()).toMatchObject({ type: "state", state: { activity: "earning", reason: "Earning: serving a job" } });
    client.socket.close();
  });

  it("answers bad frames with an error and keeps working", async () => {
    const client = connect(server);
    await client.opened;
    client.socket.send(JSON.stringify({ token: server.token }));
    await client.next();
    client.socket.send("{not json");
    expect(await client.next()).toMatchObject({ type: "reply", id: -1, ok: false });
    client.socket.send(JSON.stringify({ id: 3, method: "deleteWallet" }));
    expect(await client.next()).toMatchObject({ type: "reply", id: 3, ok: false, error: expect.stringContaining("malformed") });
    client.socket.send(JSON.stringify({ id: 4, method: "setSharing", on: "please" }));
    expect(await client.next()).toMatchObject({ type: "reply", id: 4, ok: false });
    client.socket.send(JSON.stringify({ id: 5, method: "getState" }));
    expect(await client.next()).toMatchObject({ type: "reply", id: 5, ok: true, value: { sharing: false } });
    expect(control.sharingCalls).toEqual([]);
    client.socket.close();
  });

  it("passes an agent's refusal to the caller as an error reply", async () => {
    const client = connect(server);
    await client.opened;
    client.socket.send(JSON.stringify({ token: server.token }));
    await client.next();
    control.failWith = "The wallet is locked";
    client.socket.send(JSON.stringify({ id: 9, method: "setSharing", on: true }));
    expect(await client.next()).toEqual({ type: "reply", id: 9, ok: false, error: "The wallet is locked" });
    client.socket.close();
  });

  it("stops listening to the agent and drops sockets on close", async () => {
    const client = connect(server);
    await client.opened;
    client.socket.send(JSON.stringify({ token: server.token }));
    await client.next();
    expect(control.listenerCount).toBe(1);
    await server.close();
    await client.closed;
    expect(control.listenerCount).toBe(0);
    await expect(fetch(`http://127.0.0.1:${server.port}/`)).rejects.toThrow();
  });
});
