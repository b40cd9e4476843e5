/**
 * ggml tensor types: names, and for the types whose layout is known here, how many values a
 * block holds and how many bytes it takes.
 */

/** Block layout of a ggml type: `blockValues` values take `blockBytes` bytes. */
export interface GgmlTypeInfo {
  readonly name: string;
  readonly blockValues: number;
  readonly blockBytes: number;
}

const QK_K = 256;

/** Known ggml types by numeric id (ids 4, 5 and 31–33, 36–38 are retired and not listed). */
export const GGML_TYPES: ReadonlyMap<number, GgmlTypeInfo> = new Map<number, GgmlTypeInfo>([
  [0, { name: "F32", blockValues: 1, blockBytes: 4 }],
  [1, { name: "F16", blockValues: 1, blockBytes: 2 }],
  [2, { name: "Q4_0", blockValues: 32, blockBytes: 18 }],
  [3, { name: "Q4_1", blockValues: 32, blockBytes: 20 }],
  [6, { name: "Q5_0", blockValues: 32, blockBytes: 22 }],
  [7, { name: "Q5_1", blockValues: 32, blockBytes: 24 }],
  [8, { name: "Q8_0", blockValues: 32, blockBytes: 34 }],
  [9, { name: "Q8_1", blockValues: 32, blockBytes: 36 }],
  [10, { name: "Q2_K", blockValues: QK_K, blockBytes: 84 }],
  [11, { name: "Q3_K", blockValues: QK_K, blockBytes: 110 }],
  [12, { name: "Q4_K", blockValues: QK_K, blockBytes: 144 }],
  [13, { name: "Q5_K", blockValues: QK_K, blockBytes: 176 }],
  [14, { name: "Q6_K", blockValues: QK_K, blockBytes: 210 }],
  [15, { name: "Q8_K", blockValues: QK_K, blockBytes: 292 }],
  [16, { name: "IQ2_XXS", blockValues: QK_K, blockBytes: 66 }],
  [17, { name: "IQ2_XS", blockValues: QK_K, blockBytes: 74 }],
  [18, { name: "IQ3_XXS", blockValues: QK_K, blockBytes: 98 }],
  [19, { name: "IQ1_S", blockValues: QK_K, blockBytes: 50 }],
  [20, { name: "IQ4_NL", blockValues: 32, blockBytes: 18 }],
  [21, { name: "IQ3_S", blockValues: QK_K, blockBytes: 110 }],
  [22, { name: "IQ2_S", blockValues: QK_K, blockBytes: 82 }],
  [23, { name: "IQ4_XS", blockValues: QK_K, blockBytes: 136 }],
  [24, { name: "I8", blockValues: 1, blockBytes: 1 }],
  [25, { name: "I16", blockValues: 1, blockBytes: 2 }],
  [26, { name: "I32", blockValues: 1, blockBytes: 4 }],
  [27, { name: "I64", blockValues: 1, blockBytes: 8 }],
  [28, { name: "F64", blockValues: 1, blockBytes: 8 }],
  [29, { name: "IQ1_M", blockValues: QK_K, blockBytes: 56 }],
  [30, { name: "BF16", blockValues: 1, blockBytes: 2 }],
  [34, { name: "TQ1_0", blockValues: QK_K, blockBytes: 54 }],
  [35, { name: "TQ2_0", blockValues: QK_K, blockBytes: 66 }],
  [39, { name: "MXFP4", blockValues: 32, blockBytes: 17 }],
  [40, { name: "NVFP4", blockValues: 64, blockBytes: 36 }],
  [41, { name: "Q1_0", blockValues: 128, blockBytes: 18 }],
  [42, { name: "Q2_0", blockValues: 64, blockBytes: 18 }],
]);

/** GGUF `general.file_type` names (llama_ftype), for display. */
export const GGUF_FILE_TYPE_NAMES: ReadonlyMap<number, string> = new Map<number, string>([
  [0, "F32"], [1, "F16"], [2, "Q4_0"], [3, "Q4_1"], [7, "Q8_0"], [8, "Q5_0"], [9, "Q5_1"],
  [10, "Q2_K"], [11, "Q3_K_S"], [12, "Q3_K_M"], [13, "Q3_K_L"], [14, "Q4_K_S"], [15, "Q4_K_M"],
  [16, "Q5_K_S"], [17, "Q5_K_M"], [18, "Q6_K"], [19, "IQ2_XXS"], [20, "IQ2_XS"], [21, "Q2_K_S"],
  [22, "IQ3_XS"], [23, "IQ3_XXS"], [24, "IQ1_S"], [25, "IQ4_NL"], [26, "IQ3_S"], [27, "IQ3_M"],
  [28, "IQ2_S"], [29, "IQ2_M"], [30, "IQ4_XS"], [31, "IQ1_M"], [32, "BF16"], [36, "TQ1_0"],
  [37, "TQ2_0"], [38, "MXFP4_MOE"],
]);

/**
 * Bytes a tensor of `type` with these dims takes, or null when the type's layout is unknown.
 * Throws when ne0 is not a whole number of blocks.
 */
export function ggmlTensorBytes(type: number, dims: readonly number[]): number | null {
  const info = GGML_TYPES.get(type);
  if (!info) return null;
  const ne0 = dims[0] ?? 1;
  if (ne0 % info.blockValues !== 0) {
    throw new Error(`row length ${ne0} is not a multiple of the ${info.name} block size ${info.blockValues}`);
  }
  const rows = dims.slice(1).reduce((a, b) => a * b, 1);
  return (ne0 / info.blockValues) * info.blockBytes * rows;
}
