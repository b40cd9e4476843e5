/**
 * Benchmark: tokens/s and time to first token through the whole path (official openai client →
 * coordinator → node agent → worker process → back) against node-llama-cpp in-process on the
 * same model file, prompt and settings, measured in one run and printed as ratios.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getLlama, LlamaCompletion, LlamaLogLevel, type LlamaModel, type Token } from "node-llama-cpp";
import OpenAI from "openai";
import { startCoordinator } from "../coordinator/coordinator";
import { openDatabase } from "../coordinator/db";
import { FileKeyStore } from "../electron/agent/key-store";
import { generateDemoModel } from "../electron/agent/models/demo-model";
import { startNodeHost } from "../electron/agent/node-host";
import { silentLogger } from "../shared/logger";
import { median, printTable } from "./stats";

const PROMPT = "Once upon a time, in a small village by the sea,";
const MAX_TOKENS = 200;
const CONTEXT_SIZE = 512;
const THREADS = 1;

interface Trial {
  readonly ttftMs: number;
  /** Decode rate: tokens after the first over the time from the first token to the last. */
  readonly tokensPerSecond: number;
  /** From the last token to the end of the answer (receipt, ledger, final chunks). */
  readonly tailMs: number;
  readonly tokens: number;
  readonly text: string;
}

async function inProcessTrial(completion: LlamaCompletion, model: LlamaModel): Promise<Trial> {
  const start = performance.now();
  let first = 0;
  let last = 0;
  let tokens = 0;
  const generated: Token[] = [];
  await completion.generateCompletion(PROMPT, {
    maxTokens: MAX_TOKENS,
    temperature: 0,
    onToken: (batch) => {
      last = performance.now();
      if (tokens++ === 0) first = last;
      generated.push(...batch);
    },
  });
  const end = performance.now();
  // The network's completion joins its prompt exactly (a first word keeps its leading space).
  const text = model.detokenize(generated, false, model.tokenize(PROMPT, false, "trimLeadingSpace"));
  return { ttftMs: first - start, tokensPerSecond: ((tokens - 1) * 1000) / (last - first), tailMs: end - last, tokens, text };
}

async function wholePathTrial(client: OpenAI, model: string): Promise<Trial> {
  const start = performance.now();
  let first = 0;
  let last = 0;
  let text = "";
  let tokens = 0;
  const stream = await client.completions.create({
    model,
    prompt: PROMPT,
    max_tokens: MAX_TOKENS,
    temperature: 0,
    stream: true,
    stream_options: { include_usage: true },
  });
  for await (const chunk of stream) {
    const piece = chunk.choices[0]?.text ?? "";
    if (piece) {
      last = performance.now();
      if (!first) first = last;
    }
    text += piece;
    if (chunk.usage) tokens = chunk.usage.completion_tokens;
  }
  const end = performance.now();
  // The last piece of text can hold several tokens (batches of ~16 ms), so the decode rate is
  // taken over whole tokens arrived: all but those of the first piece.
  return { ttftMs: first - start, tokensPerSecond: ((tokens - 1) * 1000) / (last - first), tailMs: end - last, tokens, text };
}

/** Runs the comparison with `rounds` alternating trials of each side. */
export async function benchWholePath(rounds: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "offpeak-bench-"));
  try {
    const modelPath = join(dir, "stories15M-shape-q8_0.gguf");
    await generateDemoModel({ path: modelPath, shape: "stories15M", type: "q8_0", seed: 15 });

    const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
    const model = await llama.loadModel({ modelPath });
    const context = await model.createContext({ contextSize: CONTEXT_SIZE, threads: THREADS, sequences: 1 });
    const sequence = context.getSequence();
    const completion = new LlamaCompletion({ contextSequence: sequence });

    const db = await openDatabase(undefined);
    const coordinator = await startCoordinator({ db, adminToken: "bench-admin-token", logger: silentLogger });
    const node = await startNodeHost({
      coordinatorUrl: coordinator.wsUrl,
      dataDir: join(dir, "node"),
      // A throwaway wallet: the bench machine may have no keychain.
      keyStore: new FileKeyStore(join(dir, "node")),
      modelPath,
      contextSize: CONTEXT_SIZE,
      threads: THREADS,
      logger: silentLogger,
    });
    const { key } = await coordinator.createApiKey(1_000_000_000, "bench");
    const client = new OpenAI({ apiKey: key, baseURL: `${coordinator.url}/v1`, maxRetries: 0 });
    const state = await node.agent.getState();
    if (!state.ok || !state.value.model) throw new Error("the node did not load the model");
    const servedModel = state.value.model.id;
    for (let i = 0; i < 50 && !(await node.agent.getState().then((s) => s.ok && s.value.activity === "ready")); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }

    // Warm both sides once, then alternate so drift on a shared machine hits both equally.
    await sequence.clearHistory();
    const warmIn = await inProcessTrial(completion, model);
    const warmPath = await wholePathTrial(client, servedModel);
    if (warmIn.text !== warmPath.text) throw new Error("the whole path and in-process disagree at temperature 0");
    const inProcess: Trial[] = [];
    const wholePath: Trial[] = [];
    for (let round = 0; round < rounds; round++) {
      await sequence.clearHistory();
      inProcess.push(await inProcessTrial(completion, model));
      wholePath.push(await wholePathTrial(client, servedModel));
    }
    const inTps = median(inProcess.map((t) => t.tokensPerSecond));
    const pathTps = median(wholePath.map((t) => t.tokensPerSecond));
    const inTtft = median(inProcess.map((t) => t.ttftMs));
    const pathTtft = median(wholePath.map((t) => t.ttftMs));
    printTable(`whole path vs node-llama-cpp in-process — stories15M-shape q8_0 (random weights), ${warmIn.tokens} tokens, ${rounds} rounds`, [
      ["in-process tokens/s (median)", inTps.toFixed(1)],
      ["whole path tokens/s (median)", pathTps.toFixed(1)],
      ["ratio whole path / in-process (target ≥ 0.95)", (pathTps / inTps).toFixed(3)],
      ["in-process time to first token, ms (median)", inTtft.toFixed(1)],
      ["whole path time to first token, ms (median)", pathTtft.toFixed(1)],
      ["time to first token added by the path, ms (median; target ≤ 20)", (pathTtft - inTtft).toFixed(1)],
      ["whole path: last token to end of answer, ms (median; receipt + ledger)", median(wholePath.map((t) => t.tailMs)).toFixed(1)],
      ["whole path end to end vs in-process, time ratio (median)", (median(wholePath.map((t) => t.ttftMs + ((t.tokens - 1) * 1000) / t.tokensPerSecond + t.tailMs)) / median(inProcess.map((t) => t.ttftMs + ((t.tokens - 1) * 1000) / t.tokensPerSecond + t.tailMs))).toFixed(3)],
    ]);

    await node.stop();
    await coordinator.close();
    await db.close();
    await context.dispose();
    await model.dispose();
    await llama.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
