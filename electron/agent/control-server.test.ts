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

  it("reads and changes the settings over HTTP, refusing bad values and missing tokens", async () => {
    const base = `http://127.0.0.1:${server.port}`;
    const auth = { Authorization: `Bearer ${server.token}`, "Content-Type": "application/json" };
    expect((await fetch(`${base}/api/settings`)).status).toBe(401);
    expect((await fetch(`${base}/api/settings`, { method: "PATCH", body: '{"contextSize":4096}' })).status).toBe(401);
    const read = await fetch(`${base}/api/settings`, { headers: auth });
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ allowUnsandboxed: false, idleUnloadMinutes: 15 });

    for (const body of ['{"parallelSequences":0}', '{"unknown":true}', "not json", "[1]"]) {
      const bad = await fetch(`${base}/api/settings`, { method: "PATCH", headers: auth, body });
      expect(bad.status, body).toBe(400);
      expect(await bad.json()).toMatchObject({ error: expect.stringContaining("settings") });
    }
    expect(control.settingsCalls).toEqual([]);

    const ok = await fetch(`${base}/api/settings`, { method: "PATCH", headers: auth, body: '{"allowUnsandboxed":true,"idleUnloadMinutes":0}' });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ allowUnsandboxed: true, idleUnloadMinutes: 0 });
    expect(control.settingsCalls).toEqual([{ allowUnsandboxed: true, idleUnloadMinutes: 0 }]);
    expect((await fetch(`${base}/api/settings`, { method: "POST", headers: auth, body: "{}" })).status).toBe(405);
  });

  it("lists, pulls and deletes models over HTTP, with the token", async () => {
    const base = `http://127.0.0.1:${server.port}`;
    const auth = { Authorization: `Bearer ${server.token}`, "Content-Type": "application/json" };
    expect((await fetch(`${base}/api/models`)).status).toBe(401);
    expect((await fetch(`${base}/api/models/pull`, { method: "POST", body: '{"ref":"x"}' })).status).toBe(401);
    expect((await fetch(`${base}/api/models/offpeak-demo-tiny`, { method: "DELETE" })).status).toBe(401);
    expect(control.pullCalls).toEqual([]);
    expect(control.removeCalls).toEqual([]);

    const list = await fetch(`${base}/api/models`, { headers: auth });
    expect(list.status).toBe(200);
    const view = (await list.json()) as { catalog: { verdict: string }[] };
    expect(view.catalog.map((m) => m.verdict)).toEqual(["fits", "fits-slowly", "does-not-fit"]);

    for (const body of ['{"ref":""}', '{"url":"hf:a/b/c.gguf"}', "{"]) {
      expect((await fetch(`${base}/api/models/pull`, { method: "POST", headers: auth, body })).status, body).toBe(400);
    }
    const refused = await fetch(`${base}/api/models/pull`, { method: "POST", headers: auth, body: '{"ref":"no-such-model"}' });
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({ error: expect.stringContaining("catalog") });
    const pulled = await fetch(`${base}/api/models/pull`, { method: "POST", headers: auth, body: '{"ref":"hf:owner/repo/model.gguf"}' });
    expect(pulled.status).toBe(202);
    expect(control.state.downloads).toMatchObject([{ name: "model.gguf", state: "downloading" }]);

    const active = await fetch(`${base}/api/models/offpeak-demo-tiny`, { method: "DELETE", headers: auth });
    expect(active.status).toBe(409);
    expect(await active.json()).toMatchObject({ error: expect.stringContaining("being served") });
    control.setModels({
      ...control.modelsView,
      installed: [...control.modelsView.installed, { id: "old model", name: "Old", path: "/models/old.gguf", bytes: 1, active: false, demo: false }],
    });
    const removed = await fetch(`${base}/api/models/old%20model`, { method: "DELETE", headers: auth });
    expect(removed.status).toBe(200);
    expect(control.removeCalls).toEqual(["offpeak-demo-tiny", "old model"]);
    expect(control.modelsView.installed.map((m) => m.id)).toEqual(["offpeak-demo-tiny"]);
    expect((await fetch(`${base}/api/models/%E0%A4%A`, { method: "DELETE", headers: auth })).status).toBe(400);
    expect((await fetch(`${base}/api/models`, { method: "DELETE", headers: auth })).status).toBe(405);
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

  /** An authenticated socket, past its first state frame. */
  async function authedClient() {
    const client = connect(server);
    await client.opened;
    client.socket.send(JSON.stringify({ token: server.token }));
    expect(await client.next()).toMatchObject({ type: "state" });
    return client;
  }

  /** The reply to request `id`, skipping state pushes. */
  async function replyTo(client: Awaited<ReturnType<typeof authedClient>>, id: number) {
    for (let i = 0; i < 10; i++) {
      const frame = await client.next();
      if (frame.type === "reply" && frame.id === id) return frame;
    }
    throw new Error(`no reply to ${id}`);
  }

  it("answers every ControlApi method over the socket", async () => {
    const client = await authedClient();
    const send = (frame: object) => client.socket.send(JSON.stringify(frame));

    send({ id: 1, method: "getSettings" });
    expect(await replyTo(client, 1)).toMatchObject({ ok: true, value: { allowUnsandboxed: false, parallelSequences: 1 } });

    send({ id: 2, method: "updateSettings", patch: { idleUnloadMinutes: 30, contextSize: 4096 } });
    expect(await replyTo(client, 2)).toMatchObject({ ok: true, value: { idleUnloadMinutes: 30, contextSize: 4096 } });
    // The patch reaches the agent as sent: the settings it leaves out are not reset to defaults.
    expect(control.settingsCalls).toEqual([{ idleUnloadMinutes: 30, contextSize: 4096 }]);

    send({ id: 3, method: "listModels" });
    const models = await replyTo(client, 3);
    expect(models).toMatchObject({ ok: true, value: { installed: [{ id: "offpeak-demo-tiny", active: true }] } });

    send({ id: 4, method: "pullModel", ref: "qwen2.5-0.5b-instruct-q4_k_m" });
    expect(await replyTo(client, 4)).toEqual({ type: "reply", id: 4, ok: true, value: null });
    expect(control.pullCalls).toEqual(["qwen2.5-0.5b-instruct-q4_k_m"]);
    const downloadId = control.state.downloads[0]?.id ?? "";

    send({ id: 5, method: "cancelDownload", downloadId });
    expect(await replyTo(client, 5)).toEqual({ type: "reply", id: 5, ok: true, value: null });
    expect(control.state.downloads[0]?.state).toBe("cancelled");

    control.setModels({
      ...control.modelsView,
      installed: [...control.modelsView.installed, { id: "other", name: "Other", path: "/models/other.gguf", bytes: 10, active: false, demo: false }],
    });
    send({ id: 6, method: "useModel", modelId: "other" });
    expect(await replyTo(client, 6)).toMatchObject({ ok: true, value: { model: { id: "other" } } });

    send({ id: 7, method: "removeModel", modelId: "offpeak-demo-tiny" });
    expect(await replyTo(client, 7)).toEqual({ type: "reply", id: 7, ok: true, value: null });
    expect(control.removeCalls).toEqual(["offpeak-demo-tiny"]);
    client.socket.close();
  });

  it("pauses, resumes and answers the diagnostics over the socket, pushing the paused state", async () => {
    await control.setSharing(true);
    const client = await authedClient();
    const send = (frame: object) => client.socket.send(JSON.stringify(frame));
    const until = Date.now() + 3_600_000;

    send({ id: 21, method: "pause", until });
    const paused = await replyTo(client, 21);
    expect(paused).toMatchObject({ ok: true, value: { activity: "paused", decision: { share: false, nextChangeAt: until, pausedByOwner: true } } });
    expect(control.pauseCalls).toEqual([until]);
    expect(client.frames).toContainEqual(expect.objectContaining({ type: "state", state: expect.objectContaining({ activity: "paused" }) }));

    send({ id: 22, method: "getDiagnostics" });
    expect(await replyTo(client, 22)).toMatchObject({
      ok: true,
      value: { node: { share: false, reason: expect.stringMatching(/^Paused until /) }, coordinator: { connected: true, otherNodes: 3 } },
    });

    send({ id: 23, method: "resume" });
    expect(await replyTo(client, 23)).toMatchObject({ ok: true, value: { activity: "ready", decision: { share: true } } });
    expect(control.pauseCalls).toEqual([until, "resume"]);
    client.socket.close();
  });

  it("refuses a malformed payload for each method, naming the method and the field", async () => {
    const client = await authedClient();
    const bad: [object, RegExp][] = [
      [{ method: "setSharing" }, /setSharing.*on/],
      [{ method: "updateSettings", patch: { parallelSequences: 0 } }, /updateSettings.*parallelSequences/],
      [{ method: "updateSettings", patch: { wallet: "x" } }, /updateSettings/],
      [{ method: "updateSettings" }, /updateSettings.*patch/],
      [{ method: "pullModel", ref: "" }, /pullModel.*ref/],
      [{ method: "cancelDownload", id2: "x" }, /cancelDownload.*downloadId/],
      [{ method: "removeModel", modelId: 5 }, /removeModel.*modelId/],
      [{ method: "useModel" }, /useModel.*modelId/],
      [{ method: "pause" }, /pause.*until/],
      [{ method: "pause", until: "tomorrow" }, /pause.*until/],
      [{ method: "pause", until: -5 }, /pause.*until/],
    ];
    let id = 100;
    for (const [frame, error] of bad) {
      id += 1;
      client.socket.send(JSON.stringify({ id, ...frame }));
      const reply = await replyTo(client, id);
      expect(reply, JSON.stringify(frame)).toMatchObject({ ok: false, error: expect.stringMatching(error) });
    }
    expect(control.settingsCalls).toEqual([]);
    expect(control.pullCalls).toEqual([]);
    expect(control.cancelCalls).toEqual([]);
    expect(control.removeCalls).toEqual([]);
    expect(control.useCalls).toEqual([]);
    expect(control.pauseCalls).toEqual([]);
    client.socket.close();
  });

  it("passes a refusal of the agent for a model call back as an error reply", async () => {
    const client = await authedClient();
    client.socket.send(JSON.stringify({ id: 11, method: "removeModel", modelId: "offpeak-demo-tiny" }));
    expect(await replyTo(client, 11)).toEqual({
      type: "reply",
      id: 11,
      ok: false,
      error: "This model is being served; use another one first.",
    });
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
