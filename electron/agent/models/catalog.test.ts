import { describe, expect, it } from "vitest";
import { CATALOG, catalogMemoryBytes, findCatalogEntry } from "./catalog";
import { parseHfUri } from "./hf-uri";
import { judgeCatalogEntry, type MachineProfile } from "./machine-profile";

const GIB = 1024 ** 3;

describe("CATALOG", () => {
  it("has unique ids and file names", () => {
    expect(new Set(CATALOG.map((entry) => entry.id)).size).toBe(CATALOG.length);
    expect(new Set(CATALOG.map((entry) => entry.fileName)).size).toBe(CATALOG.length);
  });

  it.each(CATALOG.map((entry) => [entry.id, entry] as const))("%s resolves to a Hugging Face download of its file", (_id, entry) => {
    const resolved = parseHfUri(entry.uri);
    expect(resolved.fileName).toBe(entry.fileName);
    expect(resolved.url).toMatch(/^https:\/\/huggingface\.co\/[^/]+\/[^/]+-GGUF\/resolve\/main\/[^/]+\.gguf$/);
    expect(entry.sha256 === null || /^[0-9a-f]{64}$/.test(entry.sha256)).toBe(true);
    expect(entry.quantization).toBe("Q4_K_M");
    expect(entry.minMemoryBytes).toBeGreaterThan(entry.sizeBytes);
    // A Q4_K_M file is about 4.5–6 bits per parameter.
    const billions = Number(entry.parameters.replace(/B$/, ""));
    const bitsPerParameter = (entry.sizeBytes * 8) / (billions * 1e9);
    expect(bitsPerParameter).toBeGreaterThan(4.4);
    expect(bitsPerParameter).toBeLessThan(8.5);
  });

  it("is ordered smallest first", () => {
    const sizes = CATALOG.map((entry) => entry.sizeBytes);
    expect(sizes).toEqual([...sizes].sort((a, b) => a - b));
  });

  it("offers models that fit 8 GB, 16 GB and 24 GB machines, and more on the bigger ones", () => {
    const mac = (ram: number): MachineProfile => ({
      ramBytes: ram * GIB,
      freeRamBytes: ram * GIB * 0.7,
      vramBytes: ram * GIB * 0.67,
      freeVramBytes: ram * GIB * 0.67,
      unifiedMemory: true,
      backend: "metal",
    });
    const fitting = (profile: MachineProfile) => CATALOG.filter((entry) => judgeCatalogEntry(entry, profile).verdict === "fits").length;
    const [eight, sixteen, twentyFour] = [fitting(mac(8)), fitting(mac(16)), fitting(mac(24))];
    expect(eight).toBeGreaterThanOrEqual(2);
    expect(sixteen).toBeGreaterThan(eight);
    expect(twentyFour).toBe(CATALOG.length);
  });

  it("finds entries by id", () => {
    expect(findCatalogEntry("llama-3.2-1b-instruct-q4_k_m")?.fileName).toBe("Llama-3.2-1B-Instruct-Q4_K_M.gguf");
    expect(findCatalogEntry("no-such-model")).toBeNull();
  });
});

describe("catalogMemoryBytes", () => {
  it("adds an f16 KV cache for the context and compute buffers to the file size", () => {
    const shape = { layers: 32, kvHeads: 8, headDim: 128 };
    const at4k = catalogMemoryBytes(4 * GIB, shape, 4096);
    const at8k = catalogMemoryBytes(4 * GIB, shape, 8192);
    // Llama-3-8B shape: 128 KiB of keys and values per token.
    expect(at8k - at4k).toBe(128 * 1024 * 4096);
    expect(at4k).toBeGreaterThan(4 * GIB + 512 * 1024 * 1024);
  });
});
