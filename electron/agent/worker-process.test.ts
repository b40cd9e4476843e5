/**
 * The inference worker as a real process with real node-llama-cpp on the CPU, serving the
 * project's own random-weight demo model (so it runs on a fresh clone).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sampling } from "../../shared/protocol";
import { agentToWorkerMessage, parseWorkerToAgentMessage, type WorkerToAgentMessage } from "../../shared/worker-protocol";
import { InferenceError, type InferenceResult } from "./inference";
import { generateDemoModel } from "./models/demo-model";
import { NodeWorkerSpawner, type WorkerHandle } from "./worker-spawner";
import { WorkerSupervisor, type WorkerState } from "./worker-supervisor";

let dir = "";
let modelPath = "";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "offpeak-worker-"));
  modelPath = join(dir, "demo-tiny.gguf");
  await generateDemoModel({ path: modelPath, shape: "tiny", type: "f32", seed: 7 });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const greedy = (maxTokens: number): Sampling => ({ maxTokens, temperature: 0, topP: 1, stop: [] });
const completion = (prompt: string) => ({ kind: "completion" as const, prompt });

function supervisor(extra: Partial<ConstructorParameters<typeof WorkerSupervisor>[0]> = {}): WorkerSupervisor {
  return new WorkerSupervisor({
    spawner: new NodeWorkerSpawner(),
    modelPath,
    modelId: "offpeak-demo",
    modelLabel: "Offpeak demo",
    demo: true,
    threads: 1,
    restartBaseDelayMs: 50,
    ...extra,
  });
}

describe("inference worker process (demo model)", () => {
  let engine: WorkerSupervisor;
  const states: WorkerState["kind"][] = [];

  beforeAll(async () => {
    engine = supervisor({ onStateChange: (state) => states.push(state.kind) });
    const info = await engine.start();
    expect(info.model).toEqual({ id: "offpeak-demo", label: "Offpeak demo", contextSize: 2048, demo: true });
    expect(info.hardware.backend).toBe("cpu");
  });

  afterAll(async () => {
    await engine.stop();
  });

  it("streams batches that start with a single token and add up to the final text", async () => {
    const batches: { text: string; count: number }[] = [];
    const result = await engine.generate(
      { jobId: "batches", input: completion("Once upon a time"), sampling: greedy(300) },
      (text, count) => batches.push({ text, count }),
      new AbortController().signal,
    );
    expect(result.finishReason).toBe("length");
    expect(result.completionTokens).toBe(300);
    expect(batches[0]?.count).toBe(1);
    expect(batches.map((b) => b.text).join("")).toBe(result.text);
    expect(batches.reduce((sum, b) => sum + b.count, 0)).toBe(result.completionTokens);
    // Batched: far fewer messages than tokens.
    expect(batches.length).toBeLessThan(result.completionTokens / 2);
  });

  it("gives the same greedy output for the same job regardless of earlier jobs", async () => {
    const run = (jobId: string, prompt: string) => engine.generate({ jobId, input: completion(prompt), sampling: greedy(40) }, () => {}, new AbortController().signal);
    const first = await run("repeat-1", "The little dog");
    await run("other", "Something else entirely, and longer than before");
    const second = await run("repeat-2", "The little dog");
    expect(second.text).toBe(first.text);
    expect(second.promptTokens).toBe(first.promptTokens);
  });

  it("cancels a long job within a second with what was produced so far", async () => {
    const controller = new AbortController();
    let abortedAt = 0;
    let received = "";
    const result = await engine.generate(
      { jobId: "cancel", input: completion("Once upon a time"), sampling: greedy(100_000) },
      (text) => {
        received += text;
        if (!controller.signal.aborted) {
          abortedAt = performance.now();
          controller.abort();
        }
      },
      controller.signal,
    );
    expect(result.finishReason).toBe("cancelled");
    expect(performance.now() - abortedAt).toBeLessThan(1000);
    expect(result.completionTokens).toBeGreaterThan(0);
    expect(result.completionTokens).toBeLessThan(2000);
    expect(result.text).toBe(received);
  });

  it("refuses a second job while one runs", async () => {
    const controller = new AbortController();
    const running = engine.generate({ jobId: "long", input: completion("Once"), sampling: greedy(100_000) }, () => controller.abort(), controller.signal);
    await expect(engine.generate({ jobId: "second", input: completion("Twice"), sampling: greedy(5) }, () => {}, new AbortController().signal)).rejects.toMatchObject({
      code: "busy",
      retryable: true,
    });
    await expect(running).resolves.toMatchObject({ finishReason: "cancelled" });
  });

  it("fails a job killed with its worker as worker_crashed, restarts, and serves the next job", async () => {
    const pid = engine.workerPid;
    expect(pid).toBeTypeOf("number");
    states.length = 0;
    let killed = false;
    const job = engine.generate({ jobId: "doomed", input: completion("Once upon a time"), sampling: greedy(100_000) }, () => {
      if (!killed) {
        killed = true;
        process.kill(pid!, "SIGKILL");
      }
    }, new AbortController().signal);
    const error = await job.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InferenceError);
    expect(error).toMatchObject({ code: "worker_crashed", retryable: true });
    const next: InferenceResult = await engine.generate({ jobId: "after", input: completion("Once upon a time"), sampling: greedy(10) }, () => {}, new AbortController().signal);
    expect(next.finishReason).toBe("length");
    expect(next.completionTokens).toBe(10);
    expect(states).toEqual(["crashed", "restarting", "starting", "ready"]);
    expect(engine.workerPid).not.toBe(pid);
  });
});

/** Collects what one raw worker process says. */
function collect(handle: WorkerHandle): { messages: WorkerToAgentMessage[]; next: (type: WorkerToAgentMessage["type"], timeoutMs?: number) => Promise<WorkerToAgentMessage> } {
  const messages: WorkerToAgentMessage[] = [];
  const waiters: (() => void)[] = [];
  handle.onMessage((raw) => {
    const parsed = parseWorkerToAgentMessage(raw);
    if (parsed.ok) messages.push(parsed.value);
    for (const wake of waiters.splice(0)) wake();
  });
  let seen = 0;
  const next = async (type: WorkerToAgentMessage["type"], timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const index = messages.findIndex((m, i) => i >= seen && m.type === type);
      if (index >= 0) {
        seen = index + 1;
        return messages[index]!;
      }
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
    throw new Error(`no "${type}" message within ${timeoutMs} ms`);
  };
  return { messages, next };
}

describe("inference worker process input checks", () => {
  it("survives garbage on its IPC channel and answers each with an error log", async () => {
    const handle = new NodeWorkerSpawner().spawn();
    let exited = false;
    handle.onExit(() => (exited = true));
    const worker = collect(handle);
    try {
      await worker.next("ready");
      const garbage: unknown[] = ["hello", 42, null, [1, 2], { type: "generate" }, { v: 99, type: "load" }, { v: 1, type: "explode" }, { v: 1, type: "load", modelPath: 5 }];
      for (const message of garbage) handle.send(message as never);
      for (let i = 0; i < garbage.length; i++) {
        const log = await worker.next("log");
        expect(log).toMatchObject({ level: "error" });
      }
      // A job before any model is loaded is refused, not crashed on.
      handle.send(agentToWorkerMessage({ type: "generate", jobId: "early", input: completion("x"), sampling: greedy(3) }));
      expect(await worker.next("failed")).toMatchObject({ jobId: "early", code: "model_not_loaded", retryable: true });
      handle.send(agentToWorkerMessage({ type: "load", modelPath, contextSize: 256, threads: 1, gpu: false }));
      expect(await worker.next("loaded")).toMatchObject({ model: { contextSize: 256 } });
      handle.send(agentToWorkerMessage({ type: "generate", jobId: "ok", input: completion("Once"), sampling: greedy(5) }));
      expect(await worker.next("done")).toMatchObject({ jobId: "ok", finishReason: "length", completionTokens: 5 });
      expect(exited).toBe(false);
      const exit = new Promise<number | null>((resolve) => handle.onExit((code) => resolve(code)));
      handle.send(agentToWorkerMessage({ type: "shutdown" }));
      expect(await exit).toBe(0);
    } finally {
      handle.kill("SIGKILL");
    }
  });

  it("rejects start() with a message naming a file that is not a GGUF model", async () => {
    const bad = join(dir, "not-a-model.gguf");
    await writeFile(bad, "this is plain text, not a model\n".repeat(20));
    const engine = supervisor({ modelPath: bad });
    try {
      await expect(engine.start()).rejects.toThrow(bad);
      expect(engine.state).toMatchObject({ kind: "failed" });
      await expect(engine.generate({ jobId: "j", input: completion("x"), sampling: greedy(3) }, () => {}, new AbortController().signal)).rejects.toMatchObject({
        code: "model_not_loaded",
      });
    } finally {
      await engine.stop();
    }
  });

  it("fails a prompt that does not fit the context with context_length_exceeded", async () => {
    const engine = supervisor({ contextSize: 64 });
    try {
      const info = await engine.start();
      expect(info.model.contextSize).toBe(64);
      const prompt = "Once upon a time there was a little girl. ".repeat(20);
      const error = await engine.generate({ jobId: "long", input: completion(prompt), sampling: greedy(5) }, () => {}, new AbortController().signal).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: "context_length_exceeded", retryable: false });
      expect((error as Error).message).toMatch(/maximum context length is 64 tokens; the prompt has \d+ tokens/);
      // maxTokens is clipped to the room left in the context.
      const fits = await engine.generate({ jobId: "fits", input: completion("Once upon a time"), sampling: greedy(1000) }, () => {}, new AbortController().signal);
      expect(fits.finishReason).toBe("length");
      expect(fits.promptTokens + fits.completionTokens).toBe(64);
    } finally {
      await engine.stop();
    }
  });
});

describe("inference worker process lifetime", () => {
  it("exits on its own when the agent process dies", async () => {
    const { spawn } = await import("node:child_process");
    const spawnerUrl = new URL("./worker-spawner.ts", import.meta.url).href;
    const agentScript = join(dir, "agent.mts");
    await writeFile(
      agentScript,
      `import { NodeWorkerSpawner } from ${JSON.stringify(spawnerUrl)};\n` +
        `const handle = new NodeWorkerSpawner().spawn();\n` +
        `handle.onMessage((m) => {\n` +
        `  if (m?.type === "ready") handle.send({ v: 1, type: "load", modelPath: ${JSON.stringify(modelPath)}, contextSize: 2048, threads: 1, gpu: false });\n` +
        `  if (m?.type === "loaded") handle.send({ v: 1, type: "generate", jobId: "j", input: { kind: "completion", prompt: "Once" }, sampling: { maxTokens: 100000, temperature: 0, topP: 1, stop: [] } });\n` +
        `  if (m?.type === "tokens" && !globalThis.told) { globalThis.told = true; process.stdout.write("worker " + handle.pid + "\\n"); }\n` +
        `});\n` +
        `setInterval(() => {}, 1000);\n`,
    );
    const agent = spawn(process.execPath, ["--import", "tsx", agentScript], { cwd: fileURLToPath(new URL("../../", import.meta.url)), stdio: ["ignore", "pipe", "inherit"] });
    try {
      const workerPid = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("the worker did not start")), 20_000);
        agent.stdout!.on("data", (data: Buffer) => {
          const match = /worker (\d+)/.exec(data.toString());
          if (match) {
            clearTimeout(timer);
            resolve(Number(match[1]));
          }
        });
      });
      expect(isAlive(workerPid)).toBe(true);
      agent.kill("SIGKILL");
      const deadline = Date.now() + 1500;
      while (isAlive(workerPid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      // Well before the running job (up to 2048 tokens) could have finished by itself.
      expect(isAlive(workerPid)).toBe(false);
    } finally {
      agent.kill("SIGKILL");
    }
  });
});

/** True while the process runs (an exited process waiting to be reaped does not count). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) [ZX]/.test(stat);
  } catch {
    return process.platform !== "linux";
  }
}
