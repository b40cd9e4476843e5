import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  GgufWriter,
  WritableGgmlType,
  dequantizeQ8_0,
  float16BitsToFloat32,
  float32ToFloat16Bits,
  quantizeQ8_0,
} from "./gguf-writer";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "offpeak-gguf-writer-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("half precision", () => {
  it("encodes known values exactly", () => {
    expect(float32ToFloat16Bits(1)).toBe(0x3c00);
    expect(float32ToFloat16Bits(-2)).toBe(0xc000);
    expect(float32ToFloat16Bits(65504)).toBe(0x7bff);
    expect(float32ToFloat16Bits(1e6)).toBe(0x7c00);
    expect(float32ToFloat16Bits(2 ** -24)).toBe(0x0001);
    expect(float32ToFloat16Bits(0)).toBe(0);
    // 1 + 2^-11 is halfway between two halves: ties go to the even mantissa (1.0).
    expect(float32ToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00);
    expect(float32ToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
  });

  it("round-trips values within half-precision accuracy", () => {
    for (const v of [0.1, -0.333, 1234.5, 6.1e-5, 3e-7]) {
      const back = float16BitsToFloat32(float32ToFloat16Bits(v));
      expect(Math.abs(back - v)).toBeLessThanOrEqual(Math.max(Math.abs(v) * 2 ** -11, 2 ** -25));
    }
  });
});

describe("Q8_0", () => {
  it("dequantises a block to within half a quantisation step", () => {
    const values = new Float32Array(64);
    for (let i = 0; i < values.length; i++) values[i] = Math.sin(i * 1.7) * (i < 32 ? 0.05 : 3);
    const bytes = quantizeQ8_0(values);
    expect(bytes.length).toBe(2 * 34);
    const back = dequantizeQ8_0(bytes);
    for (let block = 0; block < 2; block++) {
      const slice = values.subarray(block * 32, block * 32 + 32);
      const amax = Math.max(...Array.from(slice, Math.abs));
      const step = amax / 127;
      for (let j = 0; j < 32; j++) {
        const i = block * 32 + j;
        // Half a step from rounding q, plus the f16 rounding of the scale times |q| <= 127.
        expect(Math.abs((back[i] ?? 0) - (values[i] ?? 0))).toBeLessThanOrEqual(step / 2 + amax * 2 ** -10);
      }
    }
  });

  it("keeps the largest value of each block at q = ±127 and encodes zeros as zeros", () => {
    const values = new Float32Array(64);
    values[5] = -0.8;
    values[6] = 0.3;
    const bytes = quantizeQ8_0(values);
    expect(bytes.readInt8(2 + 5)).toBe(-127);
    expect(bytes.readInt8(2 + 6)).toBe(48); // 0.3 / (0.8 / 127) = 47.6
    expect(bytes.subarray(34)).toEqual(Buffer.alloc(34));
    expect(Array.from(dequantizeQ8_0(bytes).subarray(32))).toEqual(new Array(32).fill(0));
  });
});

describe("GgufWriter", () => {
  it("writes a header, metadata and aligned tensor data that match its layout", async () => {
    const w = new GgufWriter();
    w.addKv("general.architecture", { type: "string", value: "llama" })
      .addKv("x.count", { type: "int32", value: -3 })
      .addKv("x.flag", { type: "bool", value: true });
    w.addTensor({ name: "a", dims: [3], type: WritableGgmlType.F32, data: function* () { yield Float32Array.of(1, 2, 3); } });
    w.addTensor({ name: "b", dims: [32, 2], type: WritableGgmlType.Q8_0, data: function* () { yield new Float32Array(64).fill(0.5); } });
    const layout = w.layout();
    const path = join(dir, "small.gguf");
    const result = await w.write(path);
    const file = await readFile(path);
    expect(result.bytes).toBe(file.length);
    expect(file.length).toBe(layout.totalBytes);
    expect(file.subarray(0, 4).toString("latin1")).toBe("GGUF");
    expect(file.readUInt32LE(4)).toBe(3);
    expect(file.readBigUInt64LE(8)).toBe(2n);
    expect(file.readBigUInt64LE(16)).toBe(4n); // general.alignment is added automatically
    expect(layout.dataOffset % 32).toBe(0);
    expect(layout.tensorOffsets).toEqual([0, 32]);
    expect(file.readFloatLE(layout.dataOffset + 8)).toBe(3);
    const q = file.subarray(layout.dataOffset + 32, layout.dataOffset + 32 + 68);
    expect(Array.from(dequantizeQ8_0(q)).every((v) => Math.abs(v - 0.5) < 1e-3)).toBe(true);
  });

  it("refuses a tensor whose data does not match its dims", async () => {
    const w = new GgufWriter();
    w.addTensor({ name: "short", dims: [4, 2], type: WritableGgmlType.F32, data: function* () { yield new Float32Array(4); } });
    await expect(w.write(join(dir, "bad.gguf"))).rejects.toThrow(/short: 4 values produced, 8 expected/);
    expect(() => new GgufWriter().addTensor({ name: "q", dims: [10], type: WritableGgmlType.Q8_0, data: () => [] })).toThrow(/multiple of 32/);
  });
});
