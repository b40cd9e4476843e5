/**
 * A small GGUF v3 writer (little-endian): metadata key/values, tensor infos and tensor data in
 * F32, F16 or Q8_0. Tensor data is produced lazily and streamed to disk, so a model of tens of
 * megabytes never sits in memory as a whole.
 */
import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import { endianness } from "node:os";

/** GGUF magic, "GGUF" read as a little-endian uint32. */
export const GGUF_MAGIC = 0x46554747;
/** The GGUF version this writer produces. */
export const GGUF_VERSION = 3;
/** Default alignment of tensor data (also written as `general.alignment`). */
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** The ggml tensor types this writer can encode. */
export const WritableGgmlType = { F32: 0, F16: 1, Q8_0: 8 } as const;
export type WritableGgmlType = (typeof WritableGgmlType)[keyof typeof WritableGgmlType];

/** GGUF metadata value type codes. */
export const GgufValueType = {
  UINT8: 0, INT8: 1, UINT16: 2, INT16: 3, UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7,
  STRING: 8, ARRAY: 9, UINT64: 10, INT64: 11, FLOAT64: 12,
} as const;

/** A metadata value the writer can encode. */
export type GgufValue =
  | { readonly type: "uint32"; readonly value: number }
  | { readonly type: "int32"; readonly value: number }
  | { readonly type: "float32"; readonly value: number }
  | { readonly type: "bool"; readonly value: boolean }
  | { readonly type: "string"; readonly value: string }
  | { readonly type: "string[]"; readonly value: readonly string[] }
  | { readonly type: "float32[]"; readonly value: ArrayLike<number> }
  | { readonly type: "int32[]"; readonly value: ArrayLike<number> };

/** A tensor to write: `dims` lists ne0 (the row length, innermost) first. */
export interface GgufTensorSpec {
  readonly name: string;
  readonly dims: readonly number[];
  readonly type: WritableGgmlType;
  /** Yields the tensor's values in order, in chunks whose lengths are multiples of ne0. */
  readonly data: () => Iterable<Float32Array>;
}

/** Where everything lands in the file, known before any data is written. */
export interface GgufLayout {
  readonly header: Buffer;
  readonly dataOffset: number;
  readonly tensorOffsets: readonly number[];
  readonly totalBytes: number;
}

const Q8_0_BLOCK = 32;
const Q8_0_BLOCK_BYTES = 2 + Q8_0_BLOCK;
const WRITE_CHUNK_BYTES = 1 << 20;

/** Bytes that `count` values take in a writable ggml type. */
export function ggmlDataBytes(type: WritableGgmlType, count: number): number {
  switch (type) {
    case WritableGgmlType.F32:
      return count * 4;
    case WritableGgmlType.F16:
      return count * 2;
    case WritableGgmlType.Q8_0:
      if (count % Q8_0_BLOCK !== 0) throw new Error(`Q8_0 needs a multiple of ${Q8_0_BLOCK} values, got ${count}`);
      return (count / Q8_0_BLOCK) * Q8_0_BLOCK_BYTES;
  }
}

function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Converts a number to IEEE half-precision bits (round to nearest even). */
export function float32ToFloat16Bits(value: number): number {
  if (Number.isNaN(value)) return 0x7e00;
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const a = Math.abs(value);
  if (a >= 65520) return sign | 0x7c00;
  if (a < 2 ** -14) {
    // Subnormal (or zero): units of 2^-24; a result of 1024 is exactly the smallest normal.
    return sign | roundHalfEven(a * 2 ** 24);
  }
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e -= 1;
  else if (2 ** (e + 1) <= a) e += 1;
  let mantissa = roundHalfEven((a / 2 ** e - 1) * 1024);
  if (mantissa === 1024) {
    mantissa = 0;
    e += 1;
  }
  if (e > 15) return sign | 0x7c00;
  return sign | ((e + 15) << 10) | mantissa;
}

/** Converts IEEE half-precision bits to a number. */
export function float16BitsToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

function roundHalfAwayFromZero(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/**
 * Quantises values to Q8_0: per block of 32, an f16 scale d = amax/127 then 32 int8 q = round(x/d).
 * Writes into `out` at `outOffset` when given; returns the bytes written to.
 */
export function quantizeQ8_0(values: Float32Array, out?: Buffer, outOffset = 0): Buffer {
  const target = out ?? Buffer.alloc(ggmlDataBytes(WritableGgmlType.Q8_0, values.length));
  let o = outOffset;
  for (let b = 0; b < values.length; b += Q8_0_BLOCK) {
    let amax = 0;
    for (let j = 0; j < Q8_0_BLOCK; j++) {
      const v = Math.abs(values[b + j] ?? 0);
      if (v > amax) amax = v;
    }
    const d = amax / 127;
    const id = d > 0 ? 1 / d : 0;
    const h = float32ToFloat16Bits(d);
    target[o] = h & 0xff;
    target[o + 1] = h >> 8;
    o += 2;
    for (let j = 0; j < Q8_0_BLOCK; j++) {
      const q = roundHalfAwayFromZero((values[b + j] ?? 0) * id);
      target[o + j] = Math.max(-127, Math.min(127, q)) & 0xff;
    }
    o += Q8_0_BLOCK;
  }
  return target;
}

/** Expands Q8_0 bytes back to values (d · q for each value). */
export function dequantizeQ8_0(bytes: Buffer): Float32Array {
  if (bytes.length % Q8_0_BLOCK_BYTES !== 0) throw new Error(`Q8_0 data must be whole ${Q8_0_BLOCK_BYTES}-byte blocks`);
  const out = new Float32Array((bytes.length / Q8_0_BLOCK_BYTES) * Q8_0_BLOCK);
  for (let b = 0, o = 0; o < bytes.length; b += Q8_0_BLOCK, o += Q8_0_BLOCK_BYTES) {
    const d = float16BitsToFloat32(bytes.readUInt16LE(o));
    for (let j = 0; j < Q8_0_BLOCK; j++) out[b + j] = d * bytes.readInt8(o + 2 + j);
  }
  return out;
}

function encodeValues(type: WritableGgmlType, values: Float32Array): Buffer {
  switch (type) {
    case WritableGgmlType.F32:
      // A copy: the producer may reuse its array. Float32Array is little-endian on every supported platform.
      return Buffer.from(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
    case WritableGgmlType.F16: {
      const out = Buffer.alloc(values.length * 2);
      for (let i = 0; i < values.length; i++) out.writeUInt16LE(float32ToFloat16Bits(values[i] ?? 0), i * 2);
      return out;
    }
    case WritableGgmlType.Q8_0:
      return quantizeQ8_0(values);
  }
}

/** Accumulates little-endian primitives into a list of buffers. */
class ByteSink {
  private readonly parts: Buffer[] = [];
  length = 0;

  private push(buf: Buffer): void {
    this.parts.push(buf);
    this.length += buf.length;
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  i32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    this.push(b);
  }
  u64(v: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  f32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.push(b);
  }
  bool(v: boolean): void {
    this.push(Buffer.from([v ? 1 : 0]));
  }
  str(s: string): void {
    const bytes = Buffer.from(s, "utf8");
    this.u64(bytes.length);
    this.push(bytes);
  }
  zeros(n: number): void {
    if (n > 0) this.push(Buffer.alloc(n));
  }
  toBuffer(): Buffer {
    return Buffer.concat(this.parts, this.length);
  }
}

function writeValue(sink: ByteSink, value: GgufValue): void {
  switch (value.type) {
    case "uint32":
      sink.u32(GgufValueType.UINT32);
      sink.u32(value.value);
      return;
    case "int32":
      sink.u32(GgufValueType.INT32);
      sink.i32(value.value);
      return;
    case "float32":
      sink.u32(GgufValueType.FLOAT32);
      sink.f32(value.value);
      return;
    case "bool":
      sink.u32(GgufValueType.BOOL);
      sink.bool(value.value);
      return;
    case "string":
      sink.u32(GgufValueType.STRING);
      sink.str(value.value);
      return;
    case "string[]":
      sink.u32(GgufValueType.ARRAY);
      sink.u32(GgufValueType.STRING);
      sink.u64(value.value.length);
      for (const s of value.value) sink.str(s);
      return;
    case "float32[]":
      sink.u32(GgufValueType.ARRAY);
      sink.u32(GgufValueType.FLOAT32);
      sink.u64(value.value.length);
      for (let i = 0; i < value.value.length; i++) sink.f32(value.value[i] ?? 0);
      return;
    case "int32[]":
      sink.u32(GgufValueType.ARRAY);
      sink.u32(GgufValueType.INT32);
      sink.u64(value.value.length);
      for (let i = 0; i < value.value.length; i++) sink.i32(value.value[i] ?? 0);
      return;
  }
}

function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Builds a GGUF file from metadata and lazily produced tensors. */
export class GgufWriter {
  private readonly kvs: Array<[string, GgufValue]> = [];
  private readonly tensors: GgufTensorSpec[] = [];
  private readonly alignment: number;

  constructor(options: { alignment?: number } = {}) {
    this.alignment = options.alignment ?? GGUF_DEFAULT_ALIGNMENT;
    if (!Number.isInteger(this.alignment) || this.alignment <= 0 || (this.alignment & (this.alignment - 1)) !== 0) {
      throw new Error(`alignment must be a power of two, got ${this.alignment}`);
    }
    this.kvs.push(["general.alignment", { type: "uint32", value: this.alignment }]);
  }

  /** Adds a metadata key/value (keys must be unique). */
  addKv(key: string, value: GgufValue): this {
    if (this.kvs.some(([k]) => k === key)) throw new Error(`duplicate metadata key ${key}`);
    this.kvs.push([key, value]);
    return this;
  }

  /** Adds a tensor; its data is produced only while writing. */
  addTensor(spec: GgufTensorSpec): this {
    if (this.tensors.some((t) => t.name === spec.name)) throw new Error(`duplicate tensor ${spec.name}`);
    if (spec.dims.length < 1 || spec.dims.length > 4 || spec.dims.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new Error(`tensor ${spec.name} has invalid dims [${spec.dims.join(", ")}]`);
    }
    if (spec.type === WritableGgmlType.Q8_0 && (spec.dims[0] ?? 0) % Q8_0_BLOCK !== 0) {
      throw new Error(`tensor ${spec.name}: Q8_0 rows must be a multiple of ${Q8_0_BLOCK} long`);
    }
    this.tensors.push(spec);
    return this;
  }

  /** Computes the header bytes, tensor offsets and the final file size. */
  layout(): GgufLayout {
    const sink = new ByteSink();
    sink.u32(GGUF_MAGIC);
    sink.u32(GGUF_VERSION);
    sink.u64(this.tensors.length);
    sink.u64(this.kvs.length);
    for (const [key, value] of this.kvs) {
      sink.str(key);
      writeValue(sink, value);
    }
    const tensorOffsets: number[] = [];
    let offset = 0;
    for (const t of this.tensors) {
      sink.str(t.name);
      sink.u32(t.dims.length);
      for (const d of t.dims) sink.u64(d);
      sink.u32(t.type);
      sink.u64(offset);
      tensorOffsets.push(offset);
      offset = alignUp(offset + ggmlDataBytes(t.type, elementCount(t.dims)), this.alignment);
    }
    const dataOffset = alignUp(sink.length, this.alignment);
    sink.zeros(dataOffset - sink.length);
    const last = this.tensors.at(-1);
    const lastOffset = tensorOffsets.at(-1) ?? 0;
    const dataEnd = last ? lastOffset + ggmlDataBytes(last.type, elementCount(last.dims)) : 0;
    return { header: sink.toBuffer(), dataOffset, tensorOffsets, totalBytes: dataOffset + dataEnd };
  }

  /** Writes the file (overwriting `path`) and returns its size and sha256. */
  async write(path: string): Promise<{ bytes: number; sha256: string }> {
    if (endianness() !== "LE") throw new Error("GGUF files are written little-endian; this platform is big-endian");
    const { header, dataOffset, tensorOffsets, totalBytes } = this.layout();
    const hash = createHash("sha256");
    const handle = await open(path, "w");
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let written = 0;
    const flush = async (): Promise<void> => {
      if (pendingBytes === 0) return;
      const buf = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      hash.update(buf);
      let done = 0;
      while (done < buf.length) {
        const { bytesWritten } = await handle.write(buf, done, buf.length - done);
        done += bytesWritten;
      }
      written += buf.length;
    };
    const emit = async (buf: Buffer): Promise<void> => {
      pending.push(buf);
      pendingBytes += buf.length;
      if (pendingBytes >= WRITE_CHUNK_BYTES) await flush();
    };
    try {
      await emit(header);
      let position = dataOffset;
      for (const [i, t] of this.tensors.entries()) {
        const start = dataOffset + (tensorOffsets[i] ?? 0);
        if (start > position) await emit(Buffer.alloc(start - position));
        const expected = elementCount(t.dims);
        const rowLength = t.dims[0] ?? 1;
        let count = 0;
        for (const chunk of t.data()) {
          if (chunk.length % rowLength !== 0) throw new Error(`tensor ${t.name}: chunk of ${chunk.length} values is not whole rows of ${rowLength}`);
          count += chunk.length;
          if (count > expected) throw new Error(`tensor ${t.name}: more than ${expected} values produced`);
          await emit(encodeValues(t.type, chunk));
        }
        if (count !== expected) throw new Error(`tensor ${t.name}: ${count} values produced, ${expected} expected`);
        position = start + ggmlDataBytes(t.type, expected);
      }
      await flush();
    } finally {
      await handle.close();
    }
    if (written !== totalBytes) throw new Error(`wrote ${written} bytes to ${path}, expected ${totalBytes}`);
    return { bytes: written, sha256: hash.digest("hex") };
  }
}
