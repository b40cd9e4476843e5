import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Logger } from "../../shared/logger";
import { NodeWorkerSpawner, workerEnvironment } from "./worker-spawner";

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "offpeak-spawner-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("workerEnvironment", () => {
  it("keeps only PATH, LANG and NODE_LLAMA_CPP_GPU, and sets HOME to the private directory", () => {
    const env = workerEnvironment(
      { PATH: "/usr/bin", LANG: "C.UTF-8", NODE_LLAMA_CPP_GPU: "false", HOME: "/home/owner", HTTPS_PROXY: "http://proxy", OFFPEAK_TOKEN: "secret", AWS_SECRET_ACCESS_KEY: "k" },
      "/data/worker-home",
    );
    expect(env).toEqual({ PATH: "/usr/bin", LANG: "C.UTF-8", NODE_LLAMA_CPP_GPU: "false", HOME: "/data/worker-home" });
    expect(workerEnvironment({ PATH: "/bin", HOME: "/home/owner" })).toEqual({ PATH: "/bin" });
  });
});

describe("NodeWorkerSpawner", () => {
  it("starts the entry with a scrubbed environment, an IPC channel, pid-tagged stderr and the sandbox wrapper", async () => {
    const entry = join(dir, "echo-worker.mjs");
    await writeFile(
      entry,
      `process.stderr.write("hello from stderr\\n");\n` +
        `process.on("message", (m) => { process.send({ got: m, env: process.env, argv: process.argv.slice(2) }, () => process.exit(3)); });\n`,
    );
    const lines: string[] = [];
    const logger: Logger = { debug() {}, info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
    const wrapped: string[][] = [];
    const spawner = new NodeWorkerSpawner({
      logger,
      entry,
      execArgv: [],
      home: dir,
      env: { PATH: process.env.PATH, OFFPEAK_TOKEN: "secret", HTTP_PROXY: "http://proxy" },
      // A stand-in sandbox: `env` runs the command it is given.
      wrap: (command, args) => {
        wrapped.push([command, ...args]);
        return ["/usr/bin/env", [command, ...args]];
      },
    });
    const handle = spawner.spawn();
    const reply = new Promise<unknown>((resolve) => handle.onMessage(resolve));
    const exit = new Promise<[number | null, string | null]>((resolve) => handle.onExit((code, signal) => resolve([code, signal])));
    handle.send({ v: 1, type: "shutdown" });
    const message = (await reply) as { got: unknown; env: Record<string, string> };
    expect(message.got).toEqual({ v: 1, type: "shutdown" });
    const visible = Object.keys(message.env).filter((key) => !key.startsWith("NODE_CHANNEL_"));
    expect(visible.sort()).toEqual(["HOME", "PATH"]);
    expect(message.env.HOME).toBe(dir);
    expect(await exit).toEqual([3, null]);
    expect(wrapped).toEqual([[process.execPath, entry]]);
    expect(lines).toContain(`worker ${handle.pid}: hello from stderr`);
    // Sending to an exited worker is a no-op, not an error.
    handle.send({ v: 1, type: "shutdown" });
  });

  it("reports a worker that cannot be started as an exit", async () => {
    const handle = new NodeWorkerSpawner({ wrap: () => [join(dir, "no-such-program"), []] }).spawn();
    const exit = await new Promise<[number | null, string | null]>((resolve) => handle.onExit((code, signal) => resolve([code, signal])));
    expect(exit).toEqual([null, null]);
  });

  it("hands the new worker's pid to the containment, seals it through the handle, and releases it once the worker has exited", async () => {
    const entry = join(dir, "waiting-worker.mjs");
    await writeFile(entry, `process.on("message", () => process.exit(0));\n`);
    const events: string[] = [];
    const spawner = new NodeWorkerSpawner({
      entry,
      execArgv: [],
      contain: (pid) => {
        events.push(`contain ${pid}`);
        return { seal: () => void events.push(`seal ${pid}`), release: () => void events.push(`release ${pid}`) };
      },
    });
    const handle = spawner.spawn();
    const exit = new Promise<void>((resolve) => handle.onExit(() => resolve()));
    // Not sealed at spawn: only when the supervisor says the model is loaded.
    expect(events).toEqual([`contain ${handle.pid}`]);
    handle.seal?.();
    expect(events).toEqual([`contain ${handle.pid}`, `seal ${handle.pid}`]);
    handle.send({ v: 1, type: "shutdown" });
    await exit;
    expect(events).toEqual([`contain ${handle.pid}`, `seal ${handle.pid}`, `release ${handle.pid}`]);
  });

  it("gives a handle without a seal when there is no containment", async () => {
    const entry = join(dir, "quick-worker.mjs");
    await writeFile(entry, `process.exit(0);\n`);
    const handle = new NodeWorkerSpawner({ entry, execArgv: [] }).spawn();
    await new Promise<void>((resolve) => handle.onExit(() => resolve()));
    expect(handle.seal).toBeUndefined();
  });

  it("stops a worker that cannot be contained instead of running it uncontained, and logs why", async () => {
    const entry = join(dir, "idle-worker.mjs");
    await writeFile(entry, `setInterval(() => {}, 1000);\n`);
    const errors: string[] = [];
    const logger: Logger = { debug() {}, info() {}, warn() {}, error: (m) => errors.push(m) };
    const spawner = new NodeWorkerSpawner({
      entry,
      execArgv: [],
      logger,
      contain: () => {
        throw new Error("AssignProcessToJobObject failed: Windows error 5 (access denied)");
      },
    });
    const handle = spawner.spawn();
    const exit = await new Promise<[number | null, string | null]>((resolve) => handle.onExit((code, signal) => resolve([code, signal])));
    expect(exit).toEqual([null, "SIGKILL"]);
    expect(errors).toEqual([`worker ${handle.pid}: could not be contained, so it is stopped: AssignProcessToJobObject failed: Windows error 5 (access denied)`]);
    // Such a worker can never be sealed, so it can never serve.
    expect(() => handle.seal?.()).toThrow(/could not be contained/);
    expect(handle.seal).toBeTypeOf("function");
  });
});
