/**
 * Faults on the real path: the owner turning sharing off mid-job, a consumer that goes away,
 * a worker that crashes, a broken model file.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GgufWriter } from "../electron/agent/models/gguf-writer";
import { startNodeHost } from "../electron/agent/node-host";
import { silentLogger } from "../shared/logger";
import { makeTinyModel, startTestNetwork, type TestNetwork } from "./support/network";

const LONG = { max_tokens: 100_000, temperature: 0 } as const;

describe("faults on the real path", () => {
  let net: TestNetwork;
  beforeAll(async () => {
    net = await startTestNetwork({ contextSize: 2048 });
  });
  afterAll(async () => {
    await net?.close();
  });

  it("a consumer that goes away mid-stream stops the node within a second", async () => {
    const controller = new AbortController();
    const stream = await net.client.completions.create(
      { model: net.modelId, prompt: "Tell a long story", stream: true, ...LONG, max_tokens: 1500 },
      { signal: controller.signal },
    );
    let chunks = 0;
    let abortedAt = 0;
    try {
      for await (const _chunk of stream) {
        if (++chunks === 3) {
          abortedAt = Date.now();
          controller.abort();
        }
      }
    } catch {
      // The client reports the abort as an error or ends the stream; either is fine.
    }
    expect(abortedAt).toBeGreaterThan(0);
    await net.waitForState((s) => s.currentJob === null, 5000);
    expect(Date.now() - abortedAt).toBeLessThan(1000);
    // Billed for what it received, not what it asked for.
    const after = await net.waitForState((s) => s.lastJob?.finishReason === "cancelled", 5000);
    expect(after.lastJob?.completionTokens).toBeLessThan(1500);
  });

  it("turning Share off cancels the running job and stops new ones; turning it on serves again", async () => {
    const stream = await net.client.completions.create({ model: net.modelId, prompt: "Go on", stream: true, ...LONG, max_tokens: 1500 });
    let received = 0;
    const consumed = (async () => {
      for await (const chunk of stream) {
        received += chunk.choices[0]?.text.length ?? 0;
        if (received > 0) await net.node.agent.setSharing(false);
      }
    })();
    await expect(consumed).rejects.toThrow();
    const off = await net.waitForState((s) => s.currentJob === null && s.activity === "off");
    expect(off.reason).toMatch(/Off/);
    await expect(net.client.completions.create({ model: net.modelId, prompt: "x", max_tokens: 4 })).rejects.toMatchObject({ status: 503 });
    await net.node.agent.setSharing(true);
    await net.waitForState((s) => s.activity === "ready");
    for (let i = 0; i < 40; i++) {
      const r = await net.client.completions.create({ model: net.modelId, prompt: "x", max_tokens: 4 }).catch((e) => e);
      if (!(r instanceof Error)) {
        expect(r.usage?.completion_tokens).toBeGreaterThan(0);
        return;
      }
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error("the node never served again after sharing was turned back on");
  });

  it("a worker that crashes fails the job cleanly, restarts, and the node stays connected", async () => {
    const stream = await net.client.completions.create({ model: net.modelId, prompt: "Crash", stream: true, ...LONG, max_tokens: 1500 });
    const consumed = (async () => {
      let killed = false;
      for await (const _chunk of stream) {
        if (!killed) {
          killed = true;
          const pid = net.node.workerPid();
          expect(pid).toBeTypeOf("number");
          process.kill(pid as number, "SIGKILL");
        }
      }
    })();
    await expect(consumed).rejects.toThrow();
    const state = await net.state();
    expect(state.coordinator.connected).toBe(true);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const r = await net.client.completions.create({ model: net.modelId, prompt: "again", max_tokens: 4 }).catch((e: Error) => e);
      if (!(r instanceof Error)) {
        expect(r.choices[0]?.text).toBeTypeOf("string");
        return;
      }
      await new Promise((res) => setTimeout(res, 200));
    }
    throw new Error("the worker never came back after the crash");
  });
});

describe("broken model files", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "offpeak-badmodel-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses a truncated GGUF and a file that is not GGUF with an error naming the file", async () => {
    const good = await makeTinyModel(dir);
    const truncated = join(dir, "truncated.gguf");
    const bytes = await readFile(good);
    await writeFile(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const notGguf = join(dir, "notes.gguf");
    await writeFile(notGguf, "these are my notes, not a model\n");
    for (const modelPath of [truncated, notGguf]) {
      await expect(
        startNodeHost({ coordinatorUrl: "ws://127.0.0.1:9/v1/node", dataDir: join(dir, "node"), modelPath, logger: silentLogger }),
      ).rejects.toThrow(modelPath);
    }
  });

  it("refuses, quickly and naming the file, a well-formed GGUF that llama.cpp cannot load", async () => {
    const strange = join(dir, "strange-arch.gguf");
    await new GgufWriter()
      .addKv("general.architecture", { type: "string", value: "no-such-architecture" })
      .addTensor({ name: "weights", dims: [32], type: 0, data: () => [new Float32Array(32)] })
      .write(strange);
    const started = Date.now();
    await expect(
      startNodeHost({ coordinatorUrl: "ws://127.0.0.1:9/v1/node", dataDir: join(dir, "node2"), modelPath: strange, logger: silentLogger }),
    ).rejects.toThrow(strange);
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
