/**
 * Parallel sequences in a real inference worker process (node-llama-cpp on the CPU, the
 * project's random-weight demo model): two jobs run at once, each as if it ran alone.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sampling } from "../../shared/protocol";
import { agentToWorkerMessage, parseWorkerToAgentMessage, type WorkerToAgentMessage } from "../../shared/worker-protocol";
import type { InferenceResult } from "./inference";
import { generateDemoModel } from "./models/demo-model";
import { NodeWorkerSpawner } from "./worker-spawner";
import { WorkerSupervisor } from "./worker-supervisor";

let dir = "";
let modelPath = "";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "offpeak-parallel-"));
  modelPath = join(dir, "demo-tiny.gguf");
  await generateDemoModel({ path: modelPath, shape: "tiny", type: "f32", seed: 11 });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const greedy = (maxTokens: number): Sampling => ({ maxTokens, temperature: 0, topP: 1, stop: [] });
const completion = (prompt: string) => ({ kind: "completion" as const, prompt });
const PROMPTS = { a: "Once upon a time", b: "The little dog ran to the park because" } as const;

describe("inference worker with two parallel sequences", () => {
  let engine: WorkerSupervisor;

  beforeAll(async () => {
    engine = new WorkerSupervisor({
      spawner: new NodeWorkerSpawner(),
      modelPath,
      modelId: "offpeak-demo",
      modelLabel: "Offpeak demo",
      demo: true,
      threads: 1,
      contextSize: 1024,
      sequences: 2,
    });
    const info = await engine.start();
    expect(info.capacity).toBe(2);
  });

  afterAll(async () => {
    await engine.stop();
  });

  it("runs two jobs at once, their streams interleaved, each equal to its result alone; a third is busy", async () => {
    const run = (jobId: string, prompt: string, onTokens: (text: string) => void = () => {}) =>
      engine.generate({ jobId, input: completion(prompt), sampling: greedy(600) }, onTokens, new AbortController().signal);
    const soloA = await run("solo-a", PROMPTS.a);
    const soloB = await run("solo-b", PROMPTS.b);
    expect(soloA.completionTokens).toBe(600);
    expect(soloA.text).not.toBe(soloB.text);

    const arrivals: ("a" | "b")[] = [];
    const both: Promise<InferenceResult>[] = [run("par-a", PROMPTS.a, () => arrivals.push("a")), run("par-b", PROMPTS.b, () => arrivals.push("b"))];
    await expect(engine.generate({ jobId: "third", input: completion("x"), sampling: greedy(5) }, () => {}, new AbortController().signal)).rejects.toMatchObject({
      code: "busy",
      retryable: true,
    });
    const [parA, parB] = await Promise.all(both);
    expect(parA!.text).toBe(soloA.text);
    expect(parB!.text).toBe(soloB.text);
    expect(parA!.promptTokens).toBe(soloA.promptTokens);
    // Interleaved in time: the arrivals switch between the jobs many times, not a then b.
    const switches = arrivals.filter((job, i) => i > 0 && job !== arrivals[i - 1]).length;
    expect(switches).toBeGreaterThanOrEqual(4);
  });

  it("the worker itself refuses a job beyond its sequences as busy", async () => {
    const handle = new NodeWorkerSpawner().spawn();
    const messages: WorkerToAgentMessage[] = [];
    const waiters: (() => void)[] = [];
    handle.onMessage((raw) => {
      const parsed = parseWorkerToAgentMessage(raw);
      if (parsed.ok) messages.push(parsed.value);
      for (const wake of waiters.splice(0)) wake();
    });
    const until = async (found: () => boolean) => {
      const deadline = Date.now() + 20_000;
      while (!found() && Date.now() < deadline) await new Promise<void>((resolve) => waiters.push(resolve) && setTimeout(resolve, 200));
      expect(found()).toBe(true);
    };
    try {
      await until(() => messages.some((m) => m.type === "ready"));
      handle.send(agentToWorkerMessage({ type: "load", modelPath, contextSize: 256, threads: 1, gpu: false, sequences: 2 }));
      await until(() => messages.some((m) => m.type === "loaded"));
      for (const jobId of ["one", "two", "three"]) {
        handle.send(agentToWorkerMessage({ type: "generate", jobId, input: completion("Once"), sampling: greedy(100) }));
      }
      await until(() => messages.filter((m) => m.type === "done" || m.type === "failed").length === 3);
      const endings = Object.fromEntries(messages.filter((m) => m.type === "done" || m.type === "failed").map((m) => [m.jobId, m.type === "failed" ? m.code : m.finishReason]));
      expect(endings).toEqual({ one: "length", two: "length", three: "busy" });
    } finally {
      handle.kill("SIGKILL");
    }
  });
});
