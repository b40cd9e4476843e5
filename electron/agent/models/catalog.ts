/**
 * The curated catalog: widely used instruct models as single-file Q4_K_M GGUFs, in sizes for
 * 8 GB, 16 GB and 24 GB+ machines. File sizes and sha256 values are the ones Hugging Face
 * publishes for each file (the LFS object id, which is the file's sha256); a download is
 * checked against them. An entry without a sha256 is checked against the sha256 the server
 * states for the file (Hugging Face's `X-Linked-Etag` header, the LFS sha256).
 */
import type { CatalogEntry } from "./model-manager";
import { JUDGED_CONTEXT_SIZE } from "./machine-profile";

const MIB = 1024 * 1024;

/** llama.cpp's compute and output buffers at the default batch size, roughly, for these sizes. */
const COMPUTE_BUFFER_BYTES = 512 * MIB;

/** The attention shape that sets the KV cache size (f16 keys and values). */
interface AttentionShape {
  readonly layers: number;
  readonly kvHeads: number;
  readonly headDim: number;
}

/** Weights + KV cache for {@link JUDGED_CONTEXT_SIZE} tokens + compute buffers. */
export function catalogMemoryBytes(fileBytes: number, shape: AttentionShape, contextSize = JUDGED_CONTEXT_SIZE): number {
  const kvBytesPerToken = 2 /* K and V */ * shape.layers * shape.kvHeads * shape.headDim * 2; /* f16 */
  return fileBytes + kvBytesPerToken * contextSize + COMPUTE_BUFFER_BYTES;
}

type EntrySpec = Omit<CatalogEntry, "uri" | "minMemoryBytes"> & { readonly repo: string; readonly shape: AttentionShape };

function entry(spec: EntrySpec): CatalogEntry {
  const { repo, shape, ...rest } = spec;
  return { ...rest, uri: `hf:${repo}/${spec.fileName}`, minMemoryBytes: catalogMemoryBytes(spec.sizeBytes, shape) };
}

const APACHE = "Apache-2.0";

/** The curated models, smallest first. */
export const CATALOG: readonly CatalogEntry[] = [
  entry({
    id: "qwen2.5-0.5b-instruct-q4_k_m",
    name: "Qwen2.5 0.5B Instruct",
    repo: "Qwen/Qwen2.5-0.5B-Instruct-GGUF",
    fileName: "qwen2.5-0.5b-instruct-q4_k_m.gguf",
    sizeBytes: 491_400_032,
    quantization: "Q4_K_M",
    parameters: "0.5B",
    contextLength: 32_768,
    licence: APACHE,
    sha256: "74a4da8c9fdbcd15bd1f6d01d621410d31c6fc00986f5eb687824e7b93d7a9db",
    shape: { layers: 24, kvHeads: 2, headDim: 64 },
  }),
  entry({
    id: "llama-3.2-1b-instruct-q4_k_m",
    name: "Llama 3.2 1B Instruct",
    repo: "bartowski/Llama-3.2-1B-Instruct-GGUF",
    fileName: "Llama-3.2-1B-Instruct-Q4_K_M.gguf",
    sizeBytes: 807_694_464,
    quantization: "Q4_K_M",
    parameters: "1.2B",
    contextLength: 131_072,
    licence: "Llama 3.2 Community License",
    sha256: "6f85a640a97cf2bf5b8e764087b1e83da0fdb51d7c9fab7d0fece9385611df83",
    shape: { layers: 16, kvHeads: 8, headDim: 64 },
  }),
  entry({
    id: "qwen2.5-1.5b-instruct-q4_k_m",
    name: "Qwen2.5 1.5B Instruct",
    repo: "Qwen/Qwen2.5-1.5B-Instruct-GGUF",
    fileName: "qwen2.5-1.5b-instruct-q4_k_m.gguf",
    sizeBytes: 1_117_320_736,
    quantization: "Q4_K_M",
    parameters: "1.5B",
    contextLength: 32_768,
    licence: APACHE,
    sha256: "6a1a2eb6d15622bf3c96857206351ba97e1af16c30d7a74ee38970e434e9407e",
    shape: { layers: 28, kvHeads: 2, headDim: 128 },
  }),
  entry({
    id: "gemma-2-2b-it-q4_k_m",
    name: "Gemma 2 2B Instruct",
    repo: "bartowski/gemma-2-2b-it-GGUF",
    fileName: "gemma-2-2b-it-Q4_K_M.gguf",
    sizeBytes: 1_708_582_752,
    quantization: "Q4_K_M",
    parameters: "2.6B",
    contextLength: 8_192,
    licence: "Gemma Terms of Use",
    sha256: "e0aee85060f168f0f2d8473d7ea41ce2f3230c1bc1374847505ea599288a7787",
    shape: { layers: 26, kvHeads: 4, headDim: 256 },
  }),
  entry({
    id: "llama-3.2-3b-instruct-q4_k_m",
    name: "Llama 3.2 3B Instruct",
    repo: "bartowski/Llama-3.2-3B-Instruct-GGUF",
    fileName: "Llama-3.2-3B-Instruct-Q4_K_M.gguf",
    sizeBytes: 2_019_377_696,
    quantization: "Q4_K_M",
    parameters: "3.2B",
    contextLength: 131_072,
    licence: "Llama 3.2 Community License",
    sha256: "6c1a2b41161032677be168d354123594c0e6e67d2b9227c84f296ad037c728ff",
    shape: { layers: 28, kvHeads: 8, headDim: 128 },
  }),
  entry({
    id: "mistral-7b-instruct-v0.3-q4_k_m",
    name: "Mistral 7B Instruct v0.3",
    repo: "bartowski/Mistral-7B-Instruct-v0.3-GGUF",
    fileName: "Mistral-7B-Instruct-v0.3-Q4_K_M.gguf",
    sizeBytes: 4_372_812_000,
    quantization: "Q4_K_M",
    parameters: "7.2B",
    contextLength: 32_768,
    licence: APACHE,
    sha256: "1270d22c0fbb3d092fb725d4d96c457b7b687a5f5a715abe1e818da303e562b6",
    shape: { layers: 32, kvHeads: 8, headDim: 128 },
  }),
  entry({
    id: "qwen2.5-7b-instruct-q4_k_m",
    name: "Qwen2.5 7B Instruct",
    repo: "bartowski/Qwen2.5-7B-Instruct-GGUF",
    fileName: "Qwen2.5-7B-Instruct-Q4_K_M.gguf",
    sizeBytes: 4_683_074_240,
    quantization: "Q4_K_M",
    parameters: "7.6B",
    contextLength: 32_768,
    licence: APACHE,
    sha256: "65b8fcd92af6b4fefa935c625d1ac27ea29dcb6ee14589c55a8f115ceaaa1423",
    shape: { layers: 28, kvHeads: 4, headDim: 128 },
  }),
  entry({
    id: "llama-3.1-8b-instruct-q4_k_m",
    name: "Llama 3.1 8B Instruct",
    repo: "bartowski/Meta-Llama-3.1-8B-Instruct-GGUF",
    fileName: "Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf",
    sizeBytes: 4_920_739_232,
    quantization: "Q4_K_M",
    parameters: "8B",
    contextLength: 131_072,
    licence: "Llama 3.1 Community License",
    sha256: "7b064f5842bf9532c91456deda288a1b672397a54fa729aa665952863033557c",
    shape: { layers: 32, kvHeads: 8, headDim: 128 },
  }),
  entry({
    id: "gemma-2-9b-it-q4_k_m",
    name: "Gemma 2 9B Instruct",
    repo: "bartowski/gemma-2-9b-it-GGUF",
    fileName: "gemma-2-9b-it-Q4_K_M.gguf",
    sizeBytes: 5_761_057_728,
    quantization: "Q4_K_M",
    parameters: "9.2B",
    contextLength: 8_192,
    licence: "Gemma Terms of Use",
    sha256: "13b2a7b4115bbd0900162edcebe476da1ba1fc24e718e8b40d32f6e300f56dfe",
    shape: { layers: 42, kvHeads: 8, headDim: 256 },
  }),
];

/** The catalog entry with this id, or null. */
export function findCatalogEntry(id: string): CatalogEntry | null {
  return CATALOG.find((candidate) => candidate.id === id) ?? null;
}
