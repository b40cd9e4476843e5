/**
 * The worker's sandbox for real: bubblewrap on this machine, the real worker entry and the real
 * spawner. A stand-in worker (sandbox-probe.fixture.ts) started through the very same command
 * line tries to reach the network and the owner's files; the same probe without the sandbox
 * succeeds, so each check can fail.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { homedir, tmpdir } from "node:os";
import { join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentToWorkerMessage } from "../../../shared/worker-protocol";
import { generateDemoModel } from "../models/demo-model";
import { NodeWorkerSpawner, type WorkerHandle } from "../worker-spawner";
import { WorkerSupervisor } from "../worker-supervisor";
import type { ProbeReport, ProbeRequest } from "./sandbox-probe.fixture";
import { detectSandbox, findExecutable, type SandboxPlan, type SandboxWrap } from "./sandbox";

const APP_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const PROBE = fileURLToPath(new URL("./sandbox-probe.fixture.ts", import.meta.url));
const bwrap = process.platform === "linux" ? findExecutable("bwrap") : null;
const SECRET_VARIABLES = /TOKEN|KEY|SECRET|PASSWORD|PROXY/i;

if (!bwrap) console.warn("sandbox-worker tests skipped: bubblewrap (bwrap) is not installed on this machine (apt install bubblewrap)");

describe.skipIf(!bwrap)("the inference worker inside bubblewrap", () => {
  let dir = "";
  let modelDir = "";
  let workerHome = "";
  let modelPath = "";
  let outsideFile = "";
  let ownerHomeFile = "";
  // A new file the probe tries to create in the app code (never an existing one).
  const appRootFile = join(APP_ROOT, `.offpeak-sandbox-probe-${randomBytes(6).toString("hex")}`);
  let server: Server;
  let port = 0;
  let plan: SandboxPlan;
  let wrap: SandboxWrap;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "offpeak-sandbox-"));
    modelDir = join(dir, "models");
    workerHome = join(dir, "worker-home");
    await mkdir(modelDir);
    modelPath = join(modelDir, "demo-tiny.gguf");
    await generateDemoModel({ path: modelPath, shape: "tiny", type: "q8_0", seed: 11 });
    outsideFile = join(dir, "owner-secret.txt");
    await writeFile(outsideFile, "the owner's secret");
    ownerHomeFile = join(homedir(), `.offpeak-sandbox-probe-${randomBytes(6).toString("hex")}`);
    await writeFile(ownerHomeFile, "the owner's secret in the home folder");
    server = createServer((socket) => {
      socket.on("error", () => undefined);
      socket.end("hello");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as { port: number }).port;
    plan = await detectSandbox({ appRoot: APP_ROOT, modelDirs: [modelDir], workerHome });
    if (!plan.wrap) throw new Error(`no sandbox: ${plan.status.detail}`);
    wrap = plan.wrap;
  });

  afterAll(async () => {
    await rm(ownerHomeFile, { force: true });
    await rm(appRootFile, { force: true });
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  it("reports bubblewrap as active, with no network", () => {
    expect(plan.status.kind).toBe("bubblewrap");
    expect(plan.status.active).toBe(true);
    expect(plan.status.detail).toMatch(/no network/);
  });

  it("still serves a job: the real worker starts in the sandbox, loads the model and generates tokens", async () => {
    const engine = new WorkerSupervisor({
      spawner: new NodeWorkerSpawner({ wrap, home: workerHome }),
      modelPath,
      modelId: "offpeak-demo",
      modelLabel: "Offpeak demo",
      demo: true,
      threads: 1,
    });
    try {
      const info = await engine.start();
      expect(info.hardware.backend).toBe("cpu");
      let streamed = 0;
      const result = await engine.generate(
        { jobId: "sandboxed", input: { kind: "completion", prompt: "Once upon a time" }, sampling: { maxTokens: 12, temperature: 0, topP: 1, stop: [] } },
        (_text, count) => (streamed += count),
        new AbortController().signal,
      );
      expect(result.finishReason).toBe("length");
      expect(result.completionTokens).toBe(12);
      expect(streamed).toBe(12);
      expect(result.text.length).toBeGreaterThan(0);
    } finally {
      await engine.stop();
    }
    expect(engine.state.kind).toBe("stopped");
  });

  function request(extra: Partial<ProbeRequest> = {}): ProbeRequest {
    return {
      connect: { host: "127.0.0.1", port },
      read: [outsideFile, ownerHomeFile, join(homedir(), ".ssh", "id_ed25519"), modelPath],
      write: [join(workerHome, "written.txt"), join(modelDir, "tampered.gguf"), appRootFile],
      list: [homedir(), dir],
      exists: [ownerHomeFile, join(homedir(), ".ssh"), outsideFile, modelPath],
      heartbeat: null,
      ...extra,
    };
  }

  /** Starts the probe through the worker spawner, as the worker itself is started. */
  function startProbe(withSandbox: boolean): WorkerHandle {
    return new NodeWorkerSpawner({ entry: PROBE, home: workerHome, ...(withSandbox ? { wrap } : {}) }).spawn();
  }

  async function probe(withSandbox: boolean): Promise<ProbeReport> {
    const handle = startProbe(withSandbox);
    const reply = new Promise<ProbeReport>((resolve) => handle.onMessage((message) => resolve(message as ProbeReport)));
    // The probe speaks its own test protocol, not the worker's.
    handle.send(request() as unknown as AgentToWorkerMessage);
    return reply;
  }

  it("cuts the worker off the network and the owner's files; the same probe without the sandbox reaches them", async () => {
    const [inside, outside] = await Promise.all([probe(true), probe(false)]);

    // The control: outside the sandbox the probe does reach the listener and the planted files.
    expect(outside.connect).toBe("ok");
    expect(outside.read[outsideFile]).toBe("ok");
    expect(outside.read[ownerHomeFile]).toBe("ok");
    expect(outside.exists[ownerHomeFile]).toBe(true);
    expect(outside.write[join(modelDir, "tampered.gguf")]).toBe("ok");
    expect(outside.write[appRootFile]).toBe("ok");

    // (b) No network: the host's 127.0.0.1 listener is not reachable, and only a loopback exists.
    expect(inside.connect).not.toBe("ok");
    expect(inside.interfaces).toEqual(["lo"]);
    expect(outside.interfaces.length).toBeGreaterThanOrEqual(1);

    // (c) The owner's files: neither the planted files nor ~/.ssh are visible.
    expect(inside.read[outsideFile]).toBe("ENOENT");
    expect(inside.read[ownerHomeFile]).toBe("ENOENT");
    expect(inside.exists[ownerHomeFile]).toBe(false);
    expect(inside.exists[outsideFile]).toBe(false);
    expect(inside.exists[join(homedir(), ".ssh")]).toBe(false);
    expect(inside.read[join(homedir(), ".ssh", "id_ed25519")]).toBe("ENOENT");
    // The owner's home holds at most the first folder of the bound paths inside it (a checkout of
    // the app under the home); here it does not exist at all unless the app lives inside it.
    const homeListing = inside.list[homedir()];
    const bound = [APP_ROOT, workerHome, modelDir].filter((path) => path.startsWith(homedir() + sep));
    if (bound.length === 0) expect(homeListing).toBe("ENOENT");
    else expect(homeListing).toEqual([...new Set(bound.map((path) => path.slice(homedir().length + 1).split(sep)[0]))].sort());
    // Of the test's folder only what the sandbox binds is there: the models and the worker home.
    expect([...(inside.list[dir] as string[])].sort()).toEqual(["models", "worker-home"]);

    // The model is readable but not writable; the app code is read-only; the home is writable.
    expect(inside.read[modelPath]).toBe("ok");
    expect(inside.write[join(modelDir, "tampered.gguf")]).toBe("EROFS");
    expect(inside.write[appRootFile]).toBe("EROFS");
    expect(inside.write[join(workerHome, "written.txt")]).toBe("ok");
    expect(inside.env.HOME).toBe(workerHome);
    expect(inside.env.TMPDIR).toBe(join(workerHome, "tmp"));
  });

  it("scrubs the environment even when the parent's has tokens, keys and proxies", async () => {
    const dirty: NodeJS.ProcessEnv = {
      ...process.env,
      OFFPEAK_ADMIN_TOKEN: "t0ken",
      AWS_SECRET_ACCESS_KEY: "s3cret",
      OPENAI_API_KEY: "sk-test",
      DB_PASSWORD: "hunter2",
      HTTPS_PROXY: "http://proxy.invalid:3128",
      no_proxy: "*",
      LANG: "C.UTF-8",
    };
    // Straight through the sandbox command line, with the dirty environment handed to bwrap itself.
    const run = (withSandbox: boolean) =>
      new Promise<ProbeReport>((resolve, reject) => {
        const args = ["--import", "tsx", PROBE];
        const [command, argv] = withSandbox ? wrap(process.execPath, args, dirty) : [process.execPath, args];
        const child = spawn(command, argv, { cwd: APP_ROOT, env: dirty, stdio: ["ignore", "ignore", "inherit", "ipc"], serialization: "json" });
        child.once("message", (message) => resolve(message as ProbeReport));
        child.once("error", reject);
        child.send({ ...request(), read: [], write: [], list: [], exists: [] });
      });
    const [inside, outside] = await Promise.all([run(true), run(false)]);
    const secretNames = (env: Record<string, string | undefined>) => Object.keys(env).filter((name) => SECRET_VARIABLES.test(name));
    expect(secretNames(outside.env).length).toBeGreaterThanOrEqual(6);
    expect(secretNames(inside.env)).toEqual([]);
    expect(Object.values(inside.env)).not.toContain("s3cret");
    expect(inside.env.LANG).toBe("C.UTF-8");
    expect(Object.keys(inside.env).sort()).toEqual(["HOME", "LANG", "PATH", "PWD", "TMPDIR"].concat(inside.env.NODE_LLAMA_CPP_GPU ? ["NODE_LLAMA_CPP_GPU"] : []).sort());
  });

  it("takes the worker down with it when the sandbox process is killed (hang detection still works)", async () => {
    const heartbeat = join(workerHome, "heartbeat");
    const handle = startProbe(true);
    const beating = new Promise<void>((resolve) => handle.onMessage(() => resolve()));
    const exited = new Promise<string | null>((resolve) => handle.onExit((_code, signal) => resolve(signal)));
    handle.send({ ...request(), heartbeat } as unknown as AgentToWorkerMessage);
    await beating;
    await waitUntil(() => existsSync(heartbeat), 5000);
    handle.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");
    // Give a surviving process time to write again; the last beat must not change.
    await new Promise((resolve) => setTimeout(resolve, 150));
    const last = readFileSync(heartbeat, "utf8");
    const lastModified = (await stat(heartbeat)).mtimeMs;
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(readFileSync(heartbeat, "utf8")).toBe(last);
    expect((await stat(heartbeat)).mtimeMs).toBe(lastModified);
  });
});

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
