/**
 * The demo model: a Llama-architecture GGUF with random weights, generated on the machine and
 * deterministic from a seed. It lets a node start, load a model and serve jobs before the owner
 * has downloaded a real one; its text is gibberish made of real-looking pieces.
 */
import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { buildDemoVocabulary } from "./demo-vocabulary";
import { GgufWriter, WritableGgmlType } from "./gguf-writer";

/** Model id under which the demo model is advertised. */
export const DEMO_MODEL_ID = "offpeak-demo";
/** Human-readable label of the demo model. */
export const DEMO_MODEL_LABEL = "Offpeak demo (demo model, random weights)";
/** File name of the demo model inside its folder. */
export const DEMO_MODEL_FILE = `${DEMO_MODEL_ID}.gguf`;

/** Model shapes the demo generator knows. */
export type DemoModelShape = "tiny" | "stories15M";

/** Options of {@link generateDemoModel}. */
export interface DemoModelOptions {
  readonly path: string;
  readonly shape: DemoModelShape;
  readonly type: "f32" | "q8_0";
  readonly seed?: number;
  readonly contextLength?: number;
}

interface ShapeSpec {
  readonly dim: number;
  readonly layers: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly ffn: number;
  readonly vocab: number;
}

const SHAPES: Readonly<Record<DemoModelShape, ShapeSpec>> = {
  tiny: { dim: 64, layers: 2, heads: 4, kvHeads: 4, ffn: 192, vocab: 512 },
  stories15M: { dim: 288, layers: 6, heads: 6, kvHeads: 6, ffn: 768, vocab: 32000 },
};

const DEFAULT_SEED = 0x0ff9ea4;
const DEFAULT_CONTEXT_LENGTH = 2048;
const ROWS_PER_CHUNK = 256;

/** The shape, type and seed of the model {@link ensureDemoModel} writes. */
export const DEMO_MODEL_OPTIONS = { shape: "stories15M", type: "q8_0", seed: DEFAULT_SEED } as const;

/** A seeded PRNG (mulberry32) returning floats in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a hash of a string, mixed with the seed, so each tensor has its own stream. */
function tensorSeed(seed: number, name: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * Random rows of `rowLength` values, uniform in ±amplitude; rows for which `zeroRow` is true are
 * all zero. Yields chunks of whole rows.
 */
function randomRows(
  seed: number,
  name: string,
  rowLength: number,
  rows: number,
  amplitude: number,
  zeroRow: (row: number) => boolean = () => false,
): () => Iterable<Float32Array> {
  return function* () {
    const next = mulberry32(tensorSeed(seed, name));
    for (let start = 0; start < rows; start += ROWS_PER_CHUNK) {
      const count = Math.min(ROWS_PER_CHUNK, rows - start);
      const chunk = new Float32Array(count * rowLength);
      for (let r = 0; r < count; r++) {
        const zero = zeroRow(start + r);
        for (let c = 0; c < rowLength; c++) {
          const v = (next() * 2 - 1) * amplitude;
          chunk[r * rowLength + c] = zero ? 0 : v;
        }
      }
      yield chunk;
    }
  };
}

function ones(length: number): () => Iterable<Float32Array> {
  return function* () {
    yield new Float32Array(length).fill(1);
  };
}

/** Builds the writer for a demo model (metadata and lazily generated tensors). */
export function buildDemoModelWriter(options: Omit<DemoModelOptions, "path">): GgufWriter {
  const shape = SHAPES[options.shape];
  if (!shape) throw new Error(`unknown demo model shape ${String(options.shape)}`);
  const seed = options.seed ?? DEFAULT_SEED;
  const contextLength = options.contextLength ?? DEFAULT_CONTEXT_LENGTH;
  if (!Number.isInteger(contextLength) || contextLength < 16) throw new Error(`contextLength must be an integer of at least 16, got ${contextLength}`);
  const matrixType = options.type === "q8_0" ? WritableGgmlType.Q8_0 : WritableGgmlType.F32;
  const { dim, layers, heads, kvHeads, ffn, vocab } = shape;
  const headDim = dim / heads;
  const kvDim = headDim * kvHeads;
  const vocabulary = buildDemoVocabulary(vocab);

  const w = new GgufWriter();
  w.addKv("general.architecture", { type: "string", value: "llama" })
    .addKv("general.name", { type: "string", value: "Offpeak demo (random weights)" })
    .addKv("general.file_type", { type: "uint32", value: options.type === "q8_0" ? 7 : 0 })
    .addKv("llama.context_length", { type: "uint32", value: contextLength })
    .addKv("llama.embedding_length", { type: "uint32", value: dim })
    .addKv("llama.block_count", { type: "uint32", value: layers })
    .addKv("llama.feed_forward_length", { type: "uint32", value: ffn })
    .addKv("llama.attention.head_count", { type: "uint32", value: heads })
    .addKv("llama.attention.head_count_kv", { type: "uint32", value: kvHeads })
    .addKv("llama.rope.dimension_count", { type: "uint32", value: headDim })
    .addKv("llama.attention.layer_norm_rms_epsilon", { type: "float32", value: 1e-5 })
    .addKv("llama.vocab_size", { type: "uint32", value: vocab })
    .addKv("tokenizer.ggml.model", { type: "string", value: "llama" })
    .addKv("tokenizer.ggml.tokens", { type: "string[]", value: vocabulary.tokens })
    .addKv("tokenizer.ggml.scores", { type: "float32[]", value: vocabulary.scores })
    .addKv("tokenizer.ggml.token_type", { type: "int32[]", value: vocabulary.tokenTypes })
    .addKv("tokenizer.ggml.bos_token_id", { type: "uint32", value: 1 })
    .addKv("tokenizer.ggml.eos_token_id", { type: "uint32", value: 2 })
    .addKv("tokenizer.ggml.unknown_token_id", { type: "uint32", value: 0 })
    .addKv("tokenizer.ggml.add_bos_token", { type: "bool", value: true })
    .addKv("tokenizer.ggml.add_eos_token", { type: "bool", value: false });

  const matrix = (name: string, cols: number, rows: number, amplitude = 1 / Math.sqrt(cols)): void => {
    w.addTensor({ name, dims: [cols, rows], type: matrixType, data: randomRows(seed, name, cols, rows, amplitude) });
  };
  const norm = (name: string): void => {
    w.addTensor({ name, dims: [dim], type: WritableGgmlType.F32, data: ones(dim) });
  };

  matrix("token_embd.weight", dim, vocab, 1);
  norm("output_norm.weight");
  // Control and byte tokens get zero output rows: the demo writes printable pieces and runs to
  // its token limit instead of stopping at a random end-of-text.
  w.addTensor({
    name: "output.weight",
    dims: [dim, vocab],
    type: matrixType,
    data: randomRows(seed, "output.weight", dim, vocab, 1 / Math.sqrt(dim), (row) => row < vocabulary.firstNormalToken),
  });
  for (let l = 0; l < layers; l++) {
    norm(`blk.${l}.attn_norm.weight`);
    matrix(`blk.${l}.attn_q.weight`, dim, dim);
    matrix(`blk.${l}.attn_k.weight`, dim, kvDim);
    matrix(`blk.${l}.attn_v.weight`, dim, kvDim);
    matrix(`blk.${l}.attn_output.weight`, dim, dim);
    norm(`blk.${l}.ffn_norm.weight`);
    matrix(`blk.${l}.ffn_gate.weight`, dim, ffn);
    matrix(`blk.${l}.ffn_down.weight`, ffn, dim);
    matrix(`blk.${l}.ffn_up.weight`, dim, ffn);
  }
  return w;
}

/** Writes a random-weight Llama model to `options.path`; the same options give the same bytes. */
export async function generateDemoModel(options: DemoModelOptions): Promise<{ path: string; bytes: number; sha256: string }> {
  const { bytes, sha256 } = await buildDemoModelWriter(options).write(options.path);
  return { path: options.path, bytes, sha256 };
}

/**
 * Makes sure `<dir>/offpeak-demo.gguf` exists with the expected size, generating it (into a
 * temporary file, then renamed into place) when it is missing or wrong. Returns its path.
 */
export async function ensureDemoModel(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, DEMO_MODEL_FILE);
  const writer = buildDemoModelWriter(DEMO_MODEL_OPTIONS);
  const expectedBytes = writer.layout().totalBytes;
  const existing = await stat(path).catch(() => null);
  if (existing?.isFile() && existing.size === expectedBytes) return path;
  const tmp = join(dir, `${DEMO_MODEL_FILE}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`);
  try {
    await writer.write(tmp);
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  return path;
}
