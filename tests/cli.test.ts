/**
 * The `offpeak` command as a person runs it: `up` prints the three lines and serves; the two
 * halves run as separate processes; `keys create` and `status --json` talk to them.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTinyModel } from "./support/network";

const BIN = resolve(process.cwd(), "bin/offpeak.mjs");

interface Running {
  readonly child: ChildProcess;
  readonly lines: string[];
  readonly stderr: string[];
  waitFor(prefix: string, timeoutMs?: number): Promise<string>;
  stop(): Promise<number | null>;
}

function run(args: string[]): Running {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NODE_LLAMA_CPP_GPU: "false" } });
  const lines: string[] = [];
  const stderr: string[] = [];
  let buffer = "";
  child.stdout?.on("data", (d: Buffer) => {
    buffer += d.toString();
    const parts = buffer.split("\n");
    buffer = parts.pop() ?? "";
    lines.push(...parts);
  });
  child.stderr?.on("data", (d: Buffer) => stderr.push(d.toString()));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return {
    child,
    lines,
    stderr,
    async waitFor(prefix, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const line = lines.find((l) => l.startsWith(prefix));
        if (line) return line.slice(prefix.length);
        if (child.exitCode !== null) throw new Error(`offpeak exited ${child.exitCode} before printing ${prefix}: ${stderr.join("")}`);
        if (Date.now() > deadline) throw new Error(`no ${prefix} line; stderr: ${stderr.join("")}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

async function runToEnd(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const r = run(args);
  const code = await new Promise<number | null>((res) => r.child.once("exit", (c) => res(c)));
  return { code, out: r.lines.join("\n"), err: r.stderr.join("") };
}

describe("offpeak up", () => {
  let dir: string;
  let up: Running;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "offpeak-cli-"));
    up = run(["up", "--data-dir", join(dir, "data"), "--port", "0"]);
  });
  afterAll(async () => {
    await up?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("prints the three lines, serves the openai client, and reports its state", async () => {
    const baseURL = await up.waitFor("OPENAI_BASE_URL=");
    const apiKey = await up.waitFor("OPENAI_API_KEY=");
    const dashboard = await up.waitFor("DASHBOARD_URL=");
    expect(baseURL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    expect(apiKey).toMatch(/^sk-offpeak-/);
    expect(dashboard).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=/);
    expect(up.stderr.join("")).toMatch(/Running headless/);

    const client = new OpenAI({ apiKey, baseURL, maxRetries: 0 });
    const models = await client.models.list();
    const model = models.data[0]?.id ?? "";
    expect(model).toBe("offpeak-demo");
    const result = await client.chat.completions.create({ model, messages: [{ role: "user", content: "Hello" }], max_tokens: 8 });
    expect(result.usage?.completion_tokens).toBeGreaterThan(0);

    let status: Record<string, unknown> = {};
    for (let i = 0; i < 50; i++) {
      const { code, out } = await runToEnd(["status", "--json", "--data-dir", join(dir, "data")]);
      expect(code).toBe(0);
      status = JSON.parse(out);
      if ((status.balanceMicroUsd as number) > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toMatchObject({ sharing: true, activity: "ready", backend: "cpu", model: { id: "offpeak-demo", demo: true } });
    expect(String((status.model as { label: string }).label)).toMatch(/demo model, random weights/);
    expect(status.balanceMicroUsd).toBeGreaterThan(0);
    expect(status.lastJobTokensPerSecond).toBeGreaterThan(0);
  });

  it("stops cleanly on SIGTERM and leaves no control file behind", async () => {
    expect(await up.stop()).toBe(0);
    expect(existsSync(join(dir, "data", "control.json"))).toBe(false);
    const { code, err } = await runToEnd(["status", "--json", "--data-dir", join(dir, "data")]);
    expect(code).toBe(3);
    expect(err).toMatch(/no node is running/);
  });
});

describe("the two halves apart", () => {
  let dir: string;
  const procs: Running[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "offpeak-cli2-"));
  });
  afterAll(async () => {
    for (const p of procs.reverse()) await p.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("a coordinator process, a node process that joins it, and a key made with the admin token", async () => {
    const coordinator = run(["coordinator", "--port", "0", "--db", join(dir, "ledger")]);
    procs.push(coordinator);
    const wsUrl = await coordinator.waitFor("OFFPEAK_COORDINATOR_URL=");
    const adminToken = await coordinator.waitFor("OFFPEAK_ADMIN_TOKEN=");
    expect(wsUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\//);
    const modelPath = await makeTinyModel(dir);
    const node = run(["node", "--coordinator", wsUrl, "--model", modelPath, "--data-dir", join(dir, "node")]);
    procs.push(node);
    await node.waitFor("DASHBOARD_URL=");

    const refused = await runToEnd(["keys", "create", "--coordinator", wsUrl, "--admin-token", "wrong", "--credit-usd", "1"]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/refused \(401\)/);
    const created = await runToEnd(["keys", "create", "--coordinator", wsUrl, "--admin-token", adminToken, "--credit-usd", "10"]);
    expect(created.code).toBe(0);
    const apiKey = created.out.replace("OPENAI_API_KEY=", "").trim();
    const client = new OpenAI({ apiKey, baseURL: `${wsUrl.replace("ws://", "http://").replace(/\/v1\/node$/, "")}/v1`, maxRetries: 0 });
    let served = false;
    for (let i = 0; i < 100 && !served; i++) {
      const r = await client.completions.create({ model: "tiny-test", prompt: "Hi", max_tokens: 4 }).catch((e: Error) => e);
      served = !(r instanceof Error);
      if (!served) await new Promise((res) => setTimeout(res, 100));
    }
    expect(served).toBe(true);
  });

  it("explains bad arguments instead of starting", async () => {
    const port = await runToEnd(["up", "--port", "seventy"]);
    expect(port.code).toBe(1);
    expect(port.err).toMatch(/--port must be a number/);
    const unknown = await runToEnd(["launch"]);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unknown command "launch"/);
    const node = await runToEnd(["node"]);
    expect(node.code).toBe(2);
    expect(node.err).toMatch(/--coordinator URL is required/);
  });
});
