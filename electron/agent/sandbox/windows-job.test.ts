import { createRequire } from "node:module";
import type * as KoffiModule from "koffi";
import { describe, expect, it } from "vitest";
import {
  createWorkerJob,
  defaultWorkerMemoryLimit,
  describeJobObject,
  jobLimitTypes,
  workerJobLimits,
  Win32Error,
  type ExtendedLimitInformation,
  type Kernel32,
  type Win32Handle,
} from "./windows-job";

const koffi = createRequire(import.meta.url)("koffi") as typeof KoffiModule;
const GIB = 2 ** 30;
const is64Bit = koffi.sizeof("size_t") === 8;

describe("the job limit structures", () => {
  it.skipIf(!is64Bit)("have the sizes and offsets winnt.h gives on 64-bit Windows", () => {
    const { basic, ioCounters, extended } = jobLimitTypes(koffi);
    expect(koffi.sizeof(basic)).toBe(64);
    expect(koffi.sizeof(ioCounters)).toBe(48);
    expect(koffi.sizeof(extended)).toBe(144);
    expect(koffi.offsetof(basic, "LimitFlags")).toBe(16);
    expect(koffi.offsetof(basic, "MinimumWorkingSetSize")).toBe(24);
    expect(koffi.offsetof(basic, "ActiveProcessLimit")).toBe(40);
    expect(koffi.offsetof(basic, "Affinity")).toBe(48);
    expect(koffi.offsetof(basic, "SchedulingClass")).toBe(60);
    expect(koffi.offsetof(extended, "IoInfo")).toBe(64);
    expect(koffi.offsetof(extended, "ProcessMemoryLimit")).toBe(112);
    expect(koffi.offsetof(extended, "PeakJobMemoryUsed")).toBe(136);
  });

  it.skipIf(!is64Bit)("encode the worker's limits into the bytes the kernel reads, before and after the seal", () => {
    const { extended } = jobLimitTypes(koffi);
    const bytes = Buffer.alloc(koffi.sizeof(extended), 0xff);
    koffi.encode(bytes, extended, workerJobLimits(6 * GIB, true));
    expect(bytes.readUInt32LE(16)).toBe(0x2000 | 0x400 | 0x100 | 0x8);
    expect(bytes.readUInt32LE(40)).toBe(1);
    expect(bytes.readBigUInt64LE(112)).toBe(BigInt(6 * GIB));
    expect(bytes.readBigUInt64LE(120)).toBe(0n); // no job-wide cap
    expect(bytes.readBigInt64LE(0)).toBe(0n); // no CPU time limit
    const unsealed = Buffer.alloc(koffi.sizeof(extended), 0xff);
    koffi.encode(unsealed, extended, workerJobLimits(6 * GIB, false));
    // While the model loads: memory cap, kill on close, no crash dialog; no process limit.
    expect(unsealed.readUInt32LE(16)).toBe(0x2000 | 0x400 | 0x100);
    expect(unsealed.readUInt32LE(40)).toBe(0);
    expect(unsealed.readBigUInt64LE(112)).toBe(BigInt(6 * GIB));
  });

  it.skipIf(process.platform !== "linux" || !is64Bit)("pass the limits by pointer as a call's input (checked with libc's memcpy)", () => {
    const { extended } = jobLimitTypes(koffi);
    const libc = koffi.load("libc.so.6");
    // The same parameter type the kernel32 binding gives SetInformationJobObject.
    const memcpy = libc.func("memcpy", "void *", ["void *", koffi.pointer(extended), "size_t"]);
    const received = Buffer.alloc(144);
    memcpy(received, workerJobLimits(3 * GIB, true), 144);
    expect(received.readUInt32LE(16)).toBe(0x2508);
    expect(received.readUInt32LE(40)).toBe(1);
    expect(received.readBigUInt64LE(112)).toBe(BigInt(3 * GIB));
    libc.unload();
  });
});

/** A kernel32 stand-in that records calls and fails where told, with the given last error. */
function fakeKernel32(failures: { create?: number; limits?: number; seal?: number; open?: number; assign?: number; close?: number } = {}) {
  const calls: string[] = [];
  const open = new Set<Win32Handle>();
  const written: ExtendedLimitInformation[] = [];
  let lastError = 0;
  let next = 100n;
  const fail = (code: number | undefined) => {
    if (code === undefined) return false;
    lastError = code;
    return true;
  };
  const handle = () => {
    const h = next++;
    open.add(h);
    return h;
  };
  const kernel32: Kernel32 = {
    extendedLimitInformationSize: 144,
    maxSizeT: Number.MAX_SAFE_INTEGER,
    CreateJobObjectW: (attributes, name) => {
      calls.push(`CreateJobObjectW(${attributes}, ${name})`);
      return fail(failures.create) ? null : handle();
    },
    SetInformationJobObject: (job, infoClass, info, length) => {
      calls.push(`SetInformationJobObject(${job}, ${infoClass}, ${length})`);
      written.push(info);
      const sealing = (info.BasicLimitInformation.LimitFlags & 0x8) !== 0;
      return fail(sealing ? failures.seal : failures.limits) ? 0 : 1;
    },
    OpenProcess: (access, inherit, pid) => {
      calls.push(`OpenProcess(0x${access.toString(16)}, ${inherit}, ${pid})`);
      return fail(failures.open) ? null : handle();
    },
    AssignProcessToJobObject: (job, processHandle) => {
      calls.push(`AssignProcessToJobObject(${job}, ${processHandle})`);
      return fail(failures.assign) ? 0 : 1;
    },
    CloseHandle: (h) => {
      calls.push(`CloseHandle(${h})`);
      if (fail(failures.close)) return 0;
      return open.delete(h) ? 1 : 0;
    },
    GetLastError: () => lastError,
  };
  return { kernel32, calls, open, written, limits: () => written.at(-1) ?? null };
}

describe("createWorkerJob", () => {
  it("creates a job with the worker's limits and puts the worker in it with only the rights that needs", () => {
    const fake = fakeKernel32();
    const job = createWorkerJob({ memoryLimitBytes: 14 * GIB, kernel32: fake.kernel32 });
    job.assign(4242);
    expect(fake.calls).toEqual([
      "CreateJobObjectW(null, null)",
      "SetInformationJobObject(100, 9, 144)",
      "OpenProcess(0x101, 0, 4242)",
      "AssignProcessToJobObject(100, 101)",
      "CloseHandle(101)",
    ]);
    // Until sealed, the worker may start processes (node-llama-cpp's test of a GPU build): capped and killed with the job.
    const start = fake.limits();
    expect(start?.BasicLimitInformation.LimitFlags).toBe(0x100 | 0x2000 | 0x400);
    expect(start?.BasicLimitInformation.ActiveProcessLimit).toBe(0);
    expect(start?.ProcessMemoryLimit).toBe(14 * GIB);
    job.sealChildren();
    expect(fake.calls.at(-1)).toBe("SetInformationJobObject(100, 9, 144)");
    const sealed = fake.limits();
    expect(sealed?.BasicLimitInformation.LimitFlags).toBe(0x100 | 0x8 | 0x2000 | 0x400);
    expect(sealed?.BasicLimitInformation.ActiveProcessLimit).toBe(1);
    expect(sealed?.ProcessMemoryLimit).toBe(14 * GIB);
    // Sealing again changes nothing.
    job.sealChildren();
    expect(fake.written).toHaveLength(2);
    // Only the job's handle stays open: the worker lives exactly as long as it.
    expect([...fake.open]).toEqual([100n]);
    job.close();
    job.close();
    expect(fake.open.size).toBe(0);
    expect(fake.calls.filter((call) => call === "CloseHandle(100)")).toHaveLength(1);
    expect(() => job.assign(4243)).toThrow(/closed/);
    expect(() => job.sealChildren()).toThrow(/closed/);
  });

  it("reports a seal Windows refuses, with the code, and keeps the job open so closing it still kills the worker", () => {
    const fake = fakeKernel32({ seal: 87 });
    const job = createWorkerJob({ memoryLimitBytes: 4 * GIB, kernel32: fake.kernel32 });
    job.assign(77);
    expect(() => job.sealChildren()).toThrow("SetInformationJobObject failed limiting the worker to one process: Windows error 87");
    expect(fake.open.has(100n)).toBe(true);
    job.close();
    expect(fake.open.size).toBe(0);
  });

  it("caps the memory at the largest SIZE_T of a 32-bit process", () => {
    const fake = fakeKernel32();
    createWorkerJob({ memoryLimitBytes: 8 * GIB, kernel32: { ...fake.kernel32, maxSizeT: 2 ** 32 - 1 } });
    expect(fake.limits()?.ProcessMemoryLimit).toBe(2 ** 32 - 1);
  });

  it("reports a job Windows will not create, with the code", () => {
    const fake = fakeKernel32({ create: 1455 });
    expect(() => createWorkerJob({ memoryLimitBytes: 4 * GIB, kernel32: fake.kernel32 })).toThrow("CreateJobObjectW failed for the worker: Windows error 1455");
  });

  it("closes the job and names the code when the limits are refused", () => {
    const fake = fakeKernel32({ limits: 24 });
    const attempt = () => createWorkerJob({ memoryLimitBytes: 4 * GIB, kernel32: fake.kernel32 });
    expect(attempt).toThrow(Win32Error);
    expect(attempt).toThrow("SetInformationJobObject failed setting the worker's limits: Windows error 24 (wrong structure size)");
    expect(fake.open.size).toBe(0);
  });

  it("says when the worker cannot be opened (it has ended already)", () => {
    const fake = fakeKernel32({ open: 87 });
    const job = createWorkerJob({ memoryLimitBytes: 4 * GIB, kernel32: fake.kernel32 });
    let error: unknown;
    try {
      job.assign(77);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(Win32Error);
    expect((error as Win32Error).errorCode).toBe(87);
    expect((error as Win32Error).message).toBe("OpenProcess failed for the worker (pid 77): Windows error 87 (invalid parameter; the process may have ended already)");
  });

  it("closes the process handle and keeps the code of the failed assignment", () => {
    const fake = fakeKernel32({ assign: 5 });
    const job = createWorkerJob({ memoryLimitBytes: 4 * GIB, kernel32: fake.kernel32 });
    expect(() => job.assign(77)).toThrow("AssignProcessToJobObject failed for the worker (pid 77): Windows error 5 (access denied)");
    expect([...fake.open]).toEqual([100n]);
  });

  it("refuses a cap or a pid that is not a positive whole number, before touching Windows", () => {
    const fake = fakeKernel32();
    expect(() => createWorkerJob({ memoryLimitBytes: 0, kernel32: fake.kernel32 })).toThrow(RangeError);
    expect(() => createWorkerJob({ memoryLimitBytes: 1.5 * GIB + 0.5, kernel32: fake.kernel32 })).toThrow(RangeError);
    expect(fake.calls).toEqual([]);
    const job = createWorkerJob({ memoryLimitBytes: GIB, kernel32: fake.kernel32 });
    expect(() => job.assign(-1)).toThrow(RangeError);
    expect(fake.calls.some((call) => call.startsWith("OpenProcess"))).toBe(false);
  });

  it.skipIf(process.platform === "win32")("fails with a readable error where kernel32 does not exist", () => {
    expect(() => createWorkerJob({ memoryLimitBytes: GIB })).toThrow(/kernel32/);
  });
});

describe("the job's memory cap and status line", () => {
  it("leaves 2 GB to the system and never goes below 2 GB", () => {
    expect(defaultWorkerMemoryLimit(16 * GIB)).toBe(14 * GIB);
    expect(defaultWorkerMemoryLimit(3 * GIB)).toBe(2 * GIB);
  });

  it("names the cap and what is not contained", () => {
    expect(describeJobObject(14 * GIB)).toBe(
      "job object: memory capped at 14 GB, no child processes once the model is loaded, ended with the app; the worker can still reach the network and read the owner's files (no AppContainer yet)",
    );
    expect(describeJobObject(13.5 * GIB)).toContain("capped at 13.5 GB");
  });
});
