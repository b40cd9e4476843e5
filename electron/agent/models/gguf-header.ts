/**
 * Checks a model file before it is handed to the inference engine: reads only the GGUF header,
 * metadata and tensor infos (in chunks, never the whole file) and explains in plain words what
 * is wrong with a file that is missing, not a GGUF model, corrupt or cut short.
 */
import { open, stat } from "node:fs/promises";
import { EndOfFileError, FileChunkReader } from "./file-chunk-reader";
import { GGML_TYPES, GGUF_FILE_TYPE_NAMES, ggmlTensorBytes } from "./ggml-types";
import { GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GgufValueType } from "./gguf-writer";

/** Limits above which a header is taken as corrupt rather than read. */
export const GGUF_LIMITS = {
  maxTensorCount: 100_000,
  maxKvCount: 100_000,
  maxStringBytes: 64 * 1024 * 1024,
  maxArrayLength: 100_000_000,
  maxDims: 4,
  maxArrayNesting: 4,
} as const;

/** Strings longer than this are skipped instead of kept in the summary's metadata. */
const KEPT_STRING_BYTES = 64 * 1024;

/** What is wrong with a model file. */
export type ModelFileProblem = "missing" | "not-a-file" | "unreadable" | "not-gguf" | "unsupported-version" | "corrupt" | "truncated";

/** A model file that cannot be used; the message always names the file. */
export class ModelFileError extends Error {
  constructor(
    readonly path: string,
    readonly problem: ModelFileProblem,
    message: string,
  ) {
    super(message);
    this.name = "ModelFileError";
  }
}

/** A scalar metadata value as kept in the summary (64-bit integers beyond 2^53 become strings). */
export type GgufScalar = string | number | boolean;

/** What a GGUF file's header says about the model. */
export interface GgufSummary {
  readonly path: string;
  /** Size of the file in bytes. */
  readonly bytes: number;
  readonly version: number;
  readonly tensorCount: number;
  readonly kvCount: number;
  readonly alignment: number;
  /** Offset where tensor data starts. */
  readonly dataOffset: number;
  /** Offset where the last tensor's data ends, counting only tensors of known types. */
  readonly dataEnd: number;
  readonly architecture: string | null;
  readonly name: string | null;
  readonly contextLength: number | null;
  readonly embeddingLength: number | null;
  readonly blockCount: number | null;
  /** `general.file_type` (llama_ftype), and its usual name such as "Q8_0". */
  readonly fileType: number | null;
  readonly fileTypeName: string | null;
  /** Number of tokens in `tokenizer.ggml.tokens`. */
  readonly vocabSize: number | null;
  readonly hasChatTemplate: boolean;
  /** Total number of tensor elements. */
  readonly parameterCount: number;
  /** Tensor types present, by name ("Q8_0", "F32", or "type 77" when unknown), with counts. */
  readonly tensorTypes: Readonly<Record<string, number>>;
  /** Scalar metadata (arrays and very long strings are left out). */
  readonly metadata: Readonly<Record<string, GgufScalar>>;
}

type ReadValue = GgufScalar | { readonly arrayLength: number } | null;

function safeNumber(value: bigint, what: string, fail: (detail: string) => never): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) fail(`${what} is absurdly large (${value})`);
  return Number(value);
}

function describeStart(bytes: Buffer): string {
  const text = bytes.toString("latin1");
  if (text.startsWith("version https://git-lfs")) return " (it is a Git LFS pointer, not the model itself)";
  const printable = /^[\x20-\x7e\t\r\n]*$/.test(text);
  return printable ? ` (it starts with ${JSON.stringify(text.slice(0, 16))})` : "";
}

/** Reads and checks the header of the GGUF file at `path`; throws {@link ModelFileError}. */
export async function checkGgufFile(path: string): Promise<GgufSummary> {
  const fail = (problem: ModelFileProblem, detail: string): never => {
    throw new ModelFileError(path, problem, `Model file ${path} ${detail}`);
  };
  const corrupt = (detail: string): never => fail("corrupt", `is corrupt: ${detail}`);

  const info = await stat(path).catch((error: NodeJS.ErrnoException) =>
    error.code === "ENOENT" || error.code === "ENOTDIR"
      ? fail("missing", "does not exist")
      : fail("unreadable", `cannot be read (${error.code ?? error.message})`),
  );
  if (!info.isFile()) fail("not-a-file", "is not a file");
  const fileSize = info.size;
  if (fileSize === 0) fail("not-gguf", "is not a GGUF model file (the file is empty)");

  const handle = await open(path, "r").catch((error: NodeJS.ErrnoException) =>
    fail("unreadable", `cannot be opened (${error.code ?? error.message})`),
  );
  try {
    const reader = new FileChunkReader(handle, fileSize);
    const start = await reader.bytes(Math.min(fileSize, 64));
    if (fileSize < 4 || start.readUInt32LE(0) !== GGUF_MAGIC) {
      fail("not-gguf", `is not a GGUF model file${describeStart(start)}`);
    }
    reader.position = 4;
    return await readHeader(path, reader, fail, corrupt);
  } catch (error) {
    if (error instanceof EndOfFileError) {
      return fail(
        "truncated",
        `is truncated: it ends inside its header (needs at least ${error.position + error.wanted} bytes, has ${fileSize}); the download may be incomplete`,
      );
    }
    throw error;
  } finally {
    await handle.close();
  }
}

async function readHeader(
  path: string,
  reader: FileChunkReader,
  fail: (problem: ModelFileProblem, detail: string) => never,
  corrupt: (detail: string) => never,
): Promise<GgufSummary> {
  const version = await reader.u32();
  if (version !== 2 && version !== 3) {
    const swapped = ((version & 0xff) << 24) | ((version >>> 8) & 0xff) << 16 | ((version >>> 16) & 0xff) << 8 | (version >>> 24);
    if (swapped === 2 || swapped === 3) fail("unsupported-version", "is a big-endian GGUF file, which this machine cannot load");
    fail("unsupported-version", `uses GGUF version ${version}; versions 2 and 3 are supported`);
  }
  const tensorCount = safeNumber(await reader.u64(), "tensor count", corrupt);
  const kvCount = safeNumber(await reader.u64(), "metadata count", corrupt);
  if (tensorCount > GGUF_LIMITS.maxTensorCount) corrupt(`it claims ${tensorCount} tensors (at most ${GGUF_LIMITS.maxTensorCount} are accepted)`);
  if (kvCount > GGUF_LIMITS.maxKvCount) corrupt(`it claims ${kvCount} metadata entries (at most ${GGUF_LIMITS.maxKvCount} are accepted)`);

  const readLength = async (what: string): Promise<number> => {
    const n = safeNumber(await reader.u64(), `${what} length`, corrupt);
    if (n > GGUF_LIMITS.maxStringBytes) corrupt(`${what} of ${n} bytes (at most ${GGUF_LIMITS.maxStringBytes} are accepted)`);
    return n;
  };
  const readString = async (what: string): Promise<string | null> => {
    const n = await readLength(what);
    if (n > KEPT_STRING_BYTES) {
      reader.skip(n);
      return null;
    }
    return (await reader.bytes(n)).toString("utf8");
  };
  const fixedSize: Partial<Record<number, number>> = {
    [GgufValueType.UINT8]: 1, [GgufValueType.INT8]: 1, [GgufValueType.UINT16]: 2, [GgufValueType.INT16]: 2,
    [GgufValueType.UINT32]: 4, [GgufValueType.INT32]: 4, [GgufValueType.FLOAT32]: 4, [GgufValueType.BOOL]: 1,
    [GgufValueType.UINT64]: 8, [GgufValueType.INT64]: 8, [GgufValueType.FLOAT64]: 8,
  };
  const readValue = async (type: number, key: string, depth: number): Promise<ReadValue> => {
    switch (type) {
      case GgufValueType.UINT8: return reader.u8();
      case GgufValueType.INT8: return ((await reader.u8()) << 24) >> 24;
      case GgufValueType.UINT16: return (await reader.bytes(2)).readUInt16LE(0);
      case GgufValueType.INT16: return (await reader.bytes(2)).readInt16LE(0);
      case GgufValueType.UINT32: return reader.u32();
      case GgufValueType.INT32: return reader.i32();
      case GgufValueType.FLOAT32: return reader.f32();
      case GgufValueType.BOOL: return (await reader.u8()) !== 0;
      case GgufValueType.STRING: return readString(`string value of ${key}`);
      case GgufValueType.UINT64: {
        const v = await reader.u64();
        return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
      }
      case GgufValueType.INT64: {
        const v = await reader.i64();
        return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
      }
      case GgufValueType.FLOAT64: return reader.f64();
      case GgufValueType.ARRAY: {
        if (depth >= GGUF_LIMITS.maxArrayNesting) corrupt(`metadata ${key} nests arrays too deeply`);
        const elementType = await reader.u32();
        const length = safeNumber(await reader.u64(), `array ${key} length`, corrupt);
        if (length > GGUF_LIMITS.maxArrayLength) corrupt(`array ${key} claims ${length} elements (at most ${GGUF_LIMITS.maxArrayLength} are accepted)`);
        const size = fixedSize[elementType];
        if (size !== undefined) {
          reader.skip(size * length);
        } else if (elementType === GgufValueType.STRING) {
          for (let i = 0; i < length; i++) reader.skip(await readLength(`string in ${key}`));
        } else if (elementType === GgufValueType.ARRAY) {
          for (let i = 0; i < length; i++) await readValue(GgufValueType.ARRAY, key, depth + 1);
        } else {
          corrupt(`array ${key} has unknown element type ${elementType}`);
        }
        return { arrayLength: length };
      }
      default:
        return corrupt(`metadata ${key} has unknown value type ${type}`);
    }
  };

  const metadata: Record<string, GgufScalar> = {};
  const arrayLengths = new Map<string, number>();
  const longStrings = new Set<string>();
  for (let i = 0; i < kvCount; i++) {
    const key = await readString("metadata key");
    if (key === null) return corrupt("a metadata key is longer than 64 KB");
    const type = await reader.u32();
    const value = await readValue(type, key, 0);
    if (value !== null && typeof value === "object") arrayLengths.set(key, value.arrayLength);
    else if (value !== null) metadata[key] = value;
    else longStrings.add(key);
  }

  const alignmentValue = metadata["general.alignment"] ?? GGUF_DEFAULT_ALIGNMENT;
  const alignment = typeof alignmentValue === "number" ? alignmentValue : 0;
  if (!Number.isInteger(alignment) || alignment <= 0 || (alignment & (alignment - 1)) !== 0) {
    corrupt(`general.alignment ${String(alignmentValue)} is not a power of two`);
  }

  const names = new Set<string>();
  const tensorTypes: Record<string, number> = {};
  let parameterCount = 0;
  let dataEnd = 0;
  for (let i = 0; i < tensorCount; i++) {
    const name = (await readString("tensor name")) ?? corrupt("a tensor name is longer than 64 KB");
    if (names.has(name)) corrupt(`tensor ${name} appears twice`);
    names.add(name);
    const nDims = await reader.u32();
    if (nDims > GGUF_LIMITS.maxDims) corrupt(`tensor ${name} has ${nDims} dimensions (at most ${GGUF_LIMITS.maxDims})`);
    const dims: number[] = [];
    let elements = 1;
    for (let d = 0; d < nDims; d++) {
      const ne = safeNumber(await reader.u64(), `tensor ${name} dimension`, corrupt);
      elements *= ne;
      if (elements > Number.MAX_SAFE_INTEGER) corrupt(`tensor ${name} is absurdly large`);
      dims.push(ne);
    }
    const type = await reader.u32();
    const offset = safeNumber(await reader.u64(), `tensor ${name} offset`, corrupt);
    if (offset % alignment !== 0) corrupt(`tensor ${name} data offset ${offset} is not aligned to ${alignment}`);
    const typeName = GGML_TYPES.get(type)?.name ?? `type ${type}`;
    tensorTypes[typeName] = (tensorTypes[typeName] ?? 0) + 1;
    parameterCount += elements;
    let size: number | null;
    try {
      size = ggmlTensorBytes(type, dims);
    } catch (error) {
      return corrupt(`tensor ${name}: ${(error as Error).message}`);
    }
    dataEnd = Math.max(dataEnd, offset + (size ?? 0));
  }

  const dataOffset = Math.ceil(reader.position / alignment) * alignment;
  const bytes = reader.fileSize;
  if (dataOffset + dataEnd > bytes) {
    fail(
      "truncated",
      `is truncated: its tensors need ${dataOffset + dataEnd} bytes but the file has ${bytes}; the download may be incomplete`,
    );
  }

  const str = (key: string): string | null => (typeof metadata[key] === "string" ? (metadata[key] as string) : null);
  const num = (key: string): number | null => (typeof metadata[key] === "number" ? (metadata[key] as number) : null);
  const architecture = str("general.architecture");
  const fileType = num("general.file_type");
  return {
    path,
    bytes,
    version,
    tensorCount,
    kvCount,
    alignment,
    dataOffset,
    dataEnd: dataOffset + dataEnd,
    architecture,
    name: str("general.name"),
    contextLength: architecture ? num(`${architecture}.context_length`) : null,
    embeddingLength: architecture ? num(`${architecture}.embedding_length`) : null,
    blockCount: architecture ? num(`${architecture}.block_count`) : null,
    fileType,
    fileTypeName: fileType === null ? null : (GGUF_FILE_TYPE_NAMES.get(fileType) ?? null),
    vocabSize: arrayLengths.get("tokenizer.ggml.tokens") ?? null,
    hasChatTemplate: "tokenizer.chat_template" in metadata || longStrings.has("tokenizer.chat_template"),
    parameterCount,
    tensorTypes,
    metadata,
  };
}
