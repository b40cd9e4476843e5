import { describe, expect, it } from "vitest";
import { findCatalogEntry } from "./catalog";
import { availableMemoryBytes, judgeCatalogEntry, parseVmStatAvailable, readFreeMemory, readMachineProfile, type MachineProfile } from "./machine-profile";
import type { CatalogEntry } from "./model-manager";

const GIB = 1024 ** 3;

function catalogEntry(id: string): CatalogEntry {
  const entry = findCatalogEntry(id);
  if (!entry) throw new Error(`no catalog entry ${id}`);
  return entry;
}

const mac16: MachineProfile = { ramBytes: 16 * GIB, freeRamBytes: 11 * GIB, vramBytes: 10.7 * GIB, freeVramBytes: 10.7 * GIB, unifiedMemory: true, backend: "metal" };
const mac8: MachineProfile = { ramBytes: 8 * GIB, freeRamBytes: 4 * GIB, vramBytes: 5.3 * GIB, freeVramBytes: 5.3 * GIB, unifiedMemory: true, backend: "metal" };
const rtx4090: MachineProfile = { ramBytes: 32 * GIB, freeRamBytes: 24 * GIB, vramBytes: 24 * GIB, freeVramBytes: 23 * GIB, unifiedMemory: false, backend: "cuda" };
const gtx1650: MachineProfile = { ramBytes: 16 * GIB, freeRamBytes: 12 * GIB, vramBytes: 4 * GIB, freeVramBytes: 3.5 * GIB, unifiedMemory: false, backend: "cuda" };
const cpuOnly: MachineProfile = { ramBytes: 16 * GIB, freeRamBytes: 12 * GIB, vramBytes: null, freeVramBytes: null, unifiedMemory: false, backend: "cpu" };
const smallCpu: MachineProfile = { ...cpuOnly, ramBytes: 4 * GIB, freeRamBytes: 2 * GIB };

describe("judgeCatalogEntry", () => {
  const cases: Array<{ machine: string; profile: MachineProfile; id: string; verdict: string; reason: RegExp }> = [
    { machine: "16 GB Mac", profile: mac16, id: "llama-3.1-8b-instruct-q4_k_m", verdict: "fits", reason: /^Fits: needs 5\.6 GB, 11 GB of unified memory free$/ },
    { machine: "16 GB Mac", profile: mac16, id: "qwen2.5-0.5b-instruct-q4_k_m", verdict: "fits", reason: /^Fits: needs .+ of unified memory free$/ },
    { machine: "8 GB Mac", profile: mac8, id: "llama-3.2-1b-instruct-q4_k_m", verdict: "fits", reason: /^Fits: needs 1\.4 GB, 4\.0 GB of unified memory free$/ },
    {
      machine: "8 GB Mac",
      profile: mac8,
      id: "llama-3.1-8b-instruct-q4_k_m",
      verdict: "does-not-fit",
      reason: /^Does not fit: needs 5\.6 GB plus a safety margin, 4\.0 GB of 8\.0 GB unified memory free$/,
    },
    { machine: "RTX 4090", profile: rtx4090, id: "gemma-2-9b-it-q4_k_m", verdict: "fits", reason: /^Fits: needs 7\.2 GB, 23 GB of VRAM free$/ },
    {
      machine: "4 GB GTX 1650",
      profile: gtx1650,
      id: "qwen2.5-7b-instruct-q4_k_m",
      verdict: "fits-slowly",
      reason: /^Fits, but only partly in VRAM \(needs .+, 3\.5 GB of VRAM free\): the rest runs on the CPU, slowly$/,
    },
    { machine: "4 GB GTX 1650", profile: gtx1650, id: "llama-3.2-1b-instruct-q4_k_m", verdict: "fits", reason: /of VRAM free$/ },
    { machine: "CPU only", profile: cpuOnly, id: "mistral-7b-instruct-v0.3-q4_k_m", verdict: "fits-slowly", reason: /^Fits in memory but runs on the CPU, slowly \(needs 5\.1 GB, 12 GB free\)$/ },
    {
      machine: "small CPU-only box",
      profile: smallCpu,
      id: "llama-3.2-3b-instruct-q4_k_m",
      verdict: "does-not-fit",
      reason: /^Does not fit: needs 2\.8 GB plus a safety margin, 2\.0 GB of 4\.0 GB memory free$/,
    },
  ];
  it.each(cases)("$machine: $id → $verdict", ({ profile, id, verdict, reason }) => {
    const judgement = judgeCatalogEntry(catalogEntry(id), profile);
    expect(judgement.verdict).toBe(verdict);
    expect(judgement.reason).toMatch(reason);
  });
});

describe("readMachineProfile", () => {
  it("uses a known GPU without starting node-llama-cpp", async () => {
    let detected = false;
    const profile = await readMachineProfile({
      known: { backend: "cuda", vramBytes: 24 * GIB, freeVramBytes: 20 * GIB },
      totalMemoryBytes: 64 * GIB,
      readAvailableMemory: async () => 40 * GIB,
      detectGpu: async () => {
        detected = true;
        return { backend: "cpu", vramBytes: null };
      },
    });
    expect(profile).toEqual({ ramBytes: 64 * GIB, freeRamBytes: 40 * GIB, vramBytes: 24 * GIB, freeVramBytes: 20 * GIB, unifiedMemory: false, backend: "cuda" });
    expect(detected).toBe(false);
  });

  it("treats Metal as unified memory and drops VRAM on the CPU", async () => {
    const mac = await readMachineProfile({ known: { backend: "metal", vramBytes: 21 * GIB }, totalMemoryBytes: 32 * GIB, readAvailableMemory: async () => 18 * GIB });
    expect(mac).toMatchObject({ unifiedMemory: true, vramBytes: 21 * GIB, freeVramBytes: 21 * GIB });
    const cpu = await readMachineProfile({ known: { backend: "cpu", vramBytes: 8 * GIB }, readAvailableMemory: async () => GIB });
    expect(cpu).toMatchObject({ backend: "cpu", vramBytes: null, freeVramBytes: null, unifiedMemory: false });
  });
});

describe("free memory", () => {
  const vmStat = [
    "Mach Virtual Memory Statistics: (page size of 16384 bytes)",
    "Pages free:                               10000.",
    "Pages active:                            500000.",
    "Pages inactive:                          300000.",
    "Pages speculative:                         2000.",
    "Pages throttled:                              0.",
    "Pages wired down:                        150000.",
    "Pages purgeable:                           1000.",
    "File-backed pages:                       200000.",
    "Anonymous pages:                         600000.",
  ].join("\n");

  it("counts free, speculative, purgeable and inactive file-backed pages on macOS", async () => {
    const expected = (10000 + 2000 + 1000 + 200000) * 16384;
    expect(parseVmStatAvailable(vmStat)).toBe(expected);
    expect(await availableMemoryBytes("darwin", async () => vmStat, () => 1)).toBe(expected);
  });

  it("falls back to os.freemem when vm_stat cannot be read, and uses it off macOS", async () => {
    expect(() => parseVmStatAvailable("garbage")).toThrow("page size");
    expect(await availableMemoryBytes("darwin", async () => "garbage", () => 123)).toBe(123);
    expect(await availableMemoryBytes("linux", async () => vmStat, () => 456)).toBe(456);
  });

  it("reads free VRAM from the loaded backend", async () => {
    const cuda = { gpu: "cuda" as const, getVramState: async () => ({ free: 6 * GIB, unifiedSize: 0 }) };
    expect(await readFreeMemory(cuda, async () => 10 * GIB)).toEqual({ ramBytes: 10 * GIB, vramBytes: 6 * GIB, unifiedMemory: false });
    const metal = { gpu: "metal" as const, getVramState: async () => ({ free: 12 * GIB, unifiedSize: 21 * GIB }) };
    expect(await readFreeMemory(metal, async () => 10 * GIB)).toEqual({ ramBytes: 10 * GIB, vramBytes: 12 * GIB, unifiedMemory: true });
    const cpu = { gpu: false as const, getVramState: async () => ({ free: 0, unifiedSize: 0 }) };
    expect(await readFreeMemory(cpu, async () => 10 * GIB)).toEqual({ ramBytes: 10 * GIB, vramBytes: null, unifiedMemory: false });
  });
});
