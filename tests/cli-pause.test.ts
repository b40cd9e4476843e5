/**
 * `offpeak pause` and `offpeak resume` against a node running on this machine (`offpeak up`),
 * as a person types them: the node stops sharing, says until when, and shares again.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const BIN = resolve(process.cwd(), "bin/offpeak.mjs");
const ENV = { ...process.env, NODE_LLAMA_CPP_GPU: "false" };

async function runToEnd(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"], env: ENV });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
  return { code, out: out.trim(), err: err.trim() };
}

async function waitForLine(child: ChildProcess, prefix: string, timeoutMs = 120_000): Promise<string> {
  let buffer = "";
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${prefix} line within ${timeoutMs} ms`)), timeoutMs);
    child.stdout?.on("data", (d: Buffer) => {
      buffer += d.toString();
      const line = buffer.split("\n").find((l) => l.startsWith(prefix));
      if (line) {
        clearTimeout(timer);
        resolvePromise(line.slice(prefix.length));
      }
    });
    child.once("exit", (code) => reject(new Error(`offpeak up exited ${code} before printing ${prefix}`)));
  });
}

describe("offpeak pause / resume", () => {
  let dir: string;
  let dataDir: string;
  let up: ChildProcess;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "offpeak-cli-pause-"));
    dataDir = join(dir, "data");
    up = spawn(process.execPath, [BIN, "up", "--data-dir", dataDir, "--port", "0"], { stdio: ["ignore", "pipe", "pipe"], env: ENV });
    up.stderr?.resume();
    await waitForLine(up, "DASHBOARD_URL=");
  }, 180_000);
  afterAll(async () => {
    if (up && up.exitCode === null) {
      const exited = new Promise((r) => up.once("exit", r));
      up.kill("SIGTERM");
      const timer = setTimeout(() => up.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  });

  it("pauses for a while, shows it in status, and resumes", async () => {
    const before = JSON.parse((await runToEnd(["status", "--json", "--data-dir", dataDir])).out);
    expect(before.decision).toMatchObject({ share: true });

    const paused = await runToEnd(["pause", "--for", "30m", "--data-dir", dataDir]);
    expect(paused.err).toBe("");
    expect(paused.code).toBe(0);
    expect(paused.out).toMatch(/^Paused until \d\d:\d\d$|^Paused until tomorrow \d\d:\d\d$/);

    const status = await runToEnd(["status", "--json", "--data-dir", dataDir]);
    expect(status.code).toBe(0);
    const summary = JSON.parse(status.out);
    expect(summary).toMatchObject({ activity: "paused", reason: paused.out, decision: { share: false, reason: paused.out } });
    const minutesLeft = (summary.decision.nextChangeAt - Date.now()) / 60_000;
    expect(minutesLeft).toBeGreaterThan(28);
    expect(minutesLeft).toBeLessThanOrEqual(30);

    const resumed = await runToEnd(["resume", "--data-dir", dataDir]);
    expect(resumed.code).toBe(0);
    expect(resumed.out).toMatch(/^Ready/);
    const after = JSON.parse((await runToEnd(["status", "--json", "--data-dir", dataDir])).out);
    expect(after).toMatchObject({ activity: "ready", decision: { share: true, nextChangeAt: null } });
  });

  it("pauses until a local time", async () => {
    const paused = await runToEnd(["pause", "--until", "23:59", "--data-dir", dataDir]);
    expect(paused.code).toBe(0);
    expect(paused.out).toMatch(/^Paused until (tomorrow )?23:59$/);
    expect((await runToEnd(["resume", "--data-dir", dataDir])).code).toBe(0);
  });

  it("refuses bad input with exit 2 and leaves the node sharing", async () => {
    const bad = await runToEnd(["pause", "--until", "25:00", "--data-dir", dataDir]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--until takes a local time like 18:30/);
    const both = await runToEnd(["pause", "--for", "1h", "--until", "18:00", "--data-dir", dataDir]);
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/either --for or --until/);
    const status = JSON.parse((await runToEnd(["status", "--json", "--data-dir", dataDir])).out);
    expect(status.decision.share).toBe(true);
  });

  it("says when no node is running", async () => {
    const none = await runToEnd(["pause", "--data-dir", join(dir, "nobody")]);
    expect(none.code).toBe(3);
    expect(none.err).toMatch(/no node is running/);
  });
});
