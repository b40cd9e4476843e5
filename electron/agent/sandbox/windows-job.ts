/**
 * The Windows containment of the inference worker: a job object, created through kernel32 with
 * the koffi FFI (Node has no API for job objects). The job caps the memory the worker can commit
 * and ends it when the app ends (the job's only handle lives in the agent, so the system closes
 * it, and kills the worker, however the app goes away). Once the worker has loaded its model the
 * job is sealed: from then on it admits no new process. It contains neither the network nor the
 * owner's files: that would need an AppContainer.
 */
import { createRequire } from "node:module";
import type * as KoffiModule from "koffi";

type Koffi = typeof KoffiModule;
type TypeObject = KoffiModule.TypeObject;

/** JOB_OBJECT_LIMIT_ACTIVE_PROCESS: ActiveProcessLimit applies. */
export const JOB_OBJECT_LIMIT_ACTIVE_PROCESS = 0x0000_0008;
/** JOB_OBJECT_LIMIT_PROCESS_MEMORY: ProcessMemoryLimit applies. */
export const JOB_OBJECT_LIMIT_PROCESS_MEMORY = 0x0000_0100;
/** JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION: a crash ends the process at once, without an error dialog. */
export const JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION = 0x0000_0400;
/** JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE: closing the job's last handle kills its processes. */
export const JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE = 0x0000_2000;
/**
 * The limits of the worker's job while it loads its model: memory cap, killed with the job, no
 * crash dialog, but any number of processes. node-llama-cpp starts a child process to test a GPU
 * build (CUDA, Vulkan) before it loads it on Windows; that child is in the job too.
 */
export const WORKER_JOB_START_FLAGS = JOB_OBJECT_LIMIT_PROCESS_MEMORY | JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION;
/** The limits of the worker's job once sealed (model loaded, before any job): also one process only. */
export const WORKER_JOB_SEALED_FLAGS = WORKER_JOB_START_FLAGS | JOB_OBJECT_LIMIT_ACTIVE_PROCESS;
/** JOBOBJECTINFOCLASS JobObjectExtendedLimitInformation. */
export const JOB_OBJECT_EXTENDED_LIMIT_INFORMATION_CLASS = 9;
/** PROCESS_TERMINATE | PROCESS_SET_QUOTA: the access AssignProcessToJobObject needs, and no more. */
export const WORKER_PROCESS_ACCESS = 0x0001 | 0x0100;

/** JOBOBJECT_BASIC_LIMIT_INFORMATION (winnt.h), as koffi encodes it. */
export interface BasicLimitInformation {
  readonly PerProcessUserTimeLimit: number;
  readonly PerJobUserTimeLimit: number;
  readonly LimitFlags: number;
  readonly MinimumWorkingSetSize: number;
  readonly MaximumWorkingSetSize: number;
  readonly ActiveProcessLimit: number;
  readonly Affinity: number;
  readonly PriorityClass: number;
  readonly SchedulingClass: number;
}

/** IO_COUNTERS (winnt.h); reserved in the extended limits. */
export interface IoCounters {
  readonly ReadOperationCount: number;
  readonly WriteOperationCount: number;
  readonly OtherOperationCount: number;
  readonly ReadTransferCount: number;
  readonly WriteTransferCount: number;
  readonly OtherTransferCount: number;
}

/** JOBOBJECT_EXTENDED_LIMIT_INFORMATION (winnt.h). */
export interface ExtendedLimitInformation {
  readonly BasicLimitInformation: BasicLimitInformation;
  readonly IoInfo: IoCounters;
  readonly ProcessMemoryLimit: number;
  readonly JobMemoryLimit: number;
  readonly PeakProcessMemoryUsed: number;
  readonly PeakJobMemoryUsed: number;
}

/** A kernel HANDLE as koffi returns it; null (or 0) is NULL. */
export type Win32Handle = bigint;

/**
 * The kernel32 functions the job needs, with Win32's own names and conventions (BOOL results are
 * numbers, 0 meaning failure; GetLastError gives the reason). Tests pass a fake.
 */
export interface Kernel32 {
  /** sizeof(JOBOBJECT_EXTENDED_LIMIT_INFORMATION) on this machine (144 on 64-bit Windows). */
  readonly extendedLimitInformationSize: number;
  /** The largest SIZE_T (2^32 − 1 in a 32-bit process). */
  readonly maxSizeT: number;
  CreateJobObjectW(jobAttributes: null, name: null): Win32Handle | null;
  SetInformationJobObject(job: Win32Handle, infoClass: number, info: ExtendedLimitInformation, length: number): number;
  OpenProcess(desiredAccess: number, inheritHandle: number, processId: number): Win32Handle | null;
  AssignProcessToJobObject(job: Win32Handle, processHandle: Win32Handle): number;
  CloseHandle(handle: Win32Handle): number;
  GetLastError(): number;
}

/** A Win32 call that failed, with the code GetLastError gave. */
export class Win32Error extends Error {
  constructor(
    readonly call: string,
    readonly errorCode: number,
    context = "",
  ) {
    const known = KNOWN_ERRORS[errorCode];
    super(`${call} failed${context ? ` ${context}` : ""}: Windows error ${errorCode}${known ? ` (${known})` : ""}`);
    this.name = "Win32Error";
  }
}

const KNOWN_ERRORS: Readonly<Record<number, string>> = {
  5: "access denied",
  6: "invalid handle",
  8: "not enough memory",
  24: "wrong structure size",
  87: "invalid parameter; the process may have ended already",
  1816: "not enough quota: the job's process or memory limit",
};

/** The koffi types of the job limit structures, laid out as winnt.h declares them. */
export interface JobLimitTypes {
  readonly basic: TypeObject;
  readonly ioCounters: TypeObject;
  readonly extended: TypeObject;
}

/** Declares the job limit structures with the given koffi (anonymous types: safe to call again). */
export function jobLimitTypes(koffi: Koffi): JobLimitTypes {
  const basic = koffi.struct({
    PerProcessUserTimeLimit: "int64_t", // LARGE_INTEGER
    PerJobUserTimeLimit: "int64_t", // LARGE_INTEGER
    LimitFlags: "uint32_t", // DWORD
    MinimumWorkingSetSize: "size_t", // SIZE_T
    MaximumWorkingSetSize: "size_t", // SIZE_T
    ActiveProcessLimit: "uint32_t", // DWORD
    Affinity: "uintptr_t", // ULONG_PTR
    PriorityClass: "uint32_t", // DWORD
    SchedulingClass: "uint32_t", // DWORD
  });
  const ioCounters = koffi.struct({
    ReadOperationCount: "uint64_t",
    WriteOperationCount: "uint64_t",
    OtherOperationCount: "uint64_t",
    ReadTransferCount: "uint64_t",
    WriteTransferCount: "uint64_t",
    OtherTransferCount: "uint64_t",
  });
  const extended = koffi.struct({
    BasicLimitInformation: basic,
    IoInfo: ioCounters,
    ProcessMemoryLimit: "size_t",
    JobMemoryLimit: "size_t",
    PeakProcessMemoryUsed: "size_t",
    PeakJobMemoryUsed: "size_t",
  });
  return { basic, ioCounters, extended };
}

/** Loads koffi (a native module: it throws where no prebuilt binary fits this machine). */
export function requireKoffi(): Koffi {
  try {
    return createRequire(import.meta.url)("koffi") as Koffi;
  } catch (error) {
    throw new Error(`the koffi FFI module could not be loaded for ${process.platform}-${process.arch}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}

/** Binds the kernel32 functions the job needs (Windows only). */
export function loadKernel32(koffi: Koffi = requireKoffi()): Kernel32 {
  const { extended } = jobLimitTypes(koffi);
  let lib: KoffiModule.LibraryHandle;
  try {
    lib = koffi.load("kernel32.dll");
  } catch (error) {
    throw new Error(`kernel32.dll could not be loaded: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  // __stdcall matters on 32-bit x86 only; koffi ignores it elsewhere. BOOL is a 32-bit int.
  const fn = (name: string, result: string, params: (string | TypeObject)[]) => lib.func("__stdcall", name, result, params);
  const createJobObject = fn("CreateJobObjectW", "void *", ["void *", "const char16_t *"]);
  const setInformationJobObject = fn("SetInformationJobObject", "int", ["void *", "int", koffi.pointer(extended), "uint32_t"]);
  const openProcess = fn("OpenProcess", "void *", ["uint32_t", "int", "uint32_t"]);
  const assignProcessToJobObject = fn("AssignProcessToJobObject", "int", ["void *", "void *"]);
  const closeHandle = fn("CloseHandle", "int", ["void *"]);
  // koffi keeps the thread's last error from the call before (Node and V8 cannot overwrite it).
  const getLastError = fn("GetLastError", "uint32_t", []);
  return {
    extendedLimitInformationSize: koffi.sizeof(extended),
    maxSizeT: koffi.sizeof("size_t") >= 8 ? Number.MAX_SAFE_INTEGER : 2 ** (8 * koffi.sizeof("size_t")) - 1,
    CreateJobObjectW: (attributes, name) => createJobObject(attributes, name) as Win32Handle | null,
    SetInformationJobObject: (job, infoClass, info, length) => setInformationJobObject(job, infoClass, info, length) as number,
    OpenProcess: (access, inherit, pid) => openProcess(access, inherit, pid) as Win32Handle | null,
    AssignProcessToJobObject: (job, processHandle) => assignProcessToJobObject(job, processHandle) as number,
    CloseHandle: (handle) => closeHandle(handle) as number,
    GetLastError: () => getLastError() as number,
  };
}

/**
 * The limits written into the worker's job: committed memory capped, ended with the job, and once
 * `sealed`, one process only (ActiveProcessLimit 1; unsealed, the field is ignored and left 0).
 */
export function workerJobLimits(memoryLimitBytes: number, sealed: boolean): ExtendedLimitInformation {
  return {
    BasicLimitInformation: {
      PerProcessUserTimeLimit: 0,
      PerJobUserTimeLimit: 0,
      LimitFlags: sealed ? WORKER_JOB_SEALED_FLAGS : WORKER_JOB_START_FLAGS,
      MinimumWorkingSetSize: 0,
      MaximumWorkingSetSize: 0,
      ActiveProcessLimit: sealed ? 1 : 0,
      Affinity: 0,
      PriorityClass: 0,
      SchedulingClass: 0,
    },
    IoInfo: { ReadOperationCount: 0, WriteOperationCount: 0, OtherOperationCount: 0, ReadTransferCount: 0, WriteTransferCount: 0, OtherTransferCount: 0 },
    ProcessMemoryLimit: memoryLimitBytes,
    JobMemoryLimit: 0,
    PeakProcessMemoryUsed: 0,
    PeakJobMemoryUsed: 0,
  };
}

const GIB = 2 ** 30;

/** The default memory cap of the worker: the machine's memory less 2 GB for the rest of the system, at least 2 GB. */
export function defaultWorkerMemoryLimit(totalMemoryBytes: number): number {
  return Math.max(2 * GIB, totalMemoryBytes - 2 * GIB);
}

/** The status line of the job object, for the UI. */
export function describeJobObject(memoryLimitBytes: number): string {
  const gb = Math.round((memoryLimitBytes / GIB) * 10) / 10;
  return (
    `job object: memory capped at ${gb} GB, no child processes once the model is loaded, ended with the app; ` +
    "the worker can still reach the network and read the owner's files (no AppContainer yet)"
  );
}

/** One worker's job object. */
export interface WorkerJob {
  /** Puts the process in the job; throws a {@link Win32Error} when Windows refuses. */
  assign(pid: number): void;
  /**
   * Seals the job: from now on no process can join it, so a CreateProcess inside the worker fails
   * (processes already in it keep running). Throws a {@link Win32Error} when Windows refuses;
   * calling it again once sealed does nothing.
   */
  sealChildren(): void;
  /** Closes the job: a process still in it is killed. Safe to call twice. */
  close(): void;
}

/** Options of {@link createWorkerJob}. */
export interface WorkerJobOptions {
  /** The most memory the worker may commit, in bytes. */
  readonly memoryLimitBytes: number;
  /** The kernel32 functions (default: the real ones, through koffi). */
  readonly kernel32?: Kernel32;
}

/**
 * Creates a job object for one inference worker: committed memory capped at `memoryLimitBytes`,
 * ended with the app; after {@link WorkerJob.sealChildren}, one process only (a CreateProcess
 * inside the worker fails).
 *
 * The agent assigns the worker right after spawning it: Node cannot start a process suspended, so
 * for those few milliseconds, while Node boots and before the worker has been sent a model or a
 * prompt, it runs outside the job. A process it started in that window would stay outside.
 */
export function createWorkerJob(options: WorkerJobOptions): WorkerJob {
  const { memoryLimitBytes } = options;
  if (!Number.isSafeInteger(memoryLimitBytes) || memoryLimitBytes <= 0) {
    throw new RangeError(`the worker's memory cap must be a positive whole number of bytes, not ${memoryLimitBytes}`);
  }
  const kernel32 = options.kernel32 ?? loadKernel32();
  const job = kernel32.CreateJobObjectW(null, null);
  if (!isHandle(job)) throw new Win32Error("CreateJobObjectW", kernel32.GetLastError(), "for the worker");
  const cap = Math.min(memoryLimitBytes, kernel32.maxSizeT);
  const setLimits = (sealed: boolean) =>
    kernel32.SetInformationJobObject(job, JOB_OBJECT_EXTENDED_LIMIT_INFORMATION_CLASS, workerJobLimits(cap, sealed), kernel32.extendedLimitInformationSize);
  if (!setLimits(false)) {
    const error = new Win32Error("SetInformationJobObject", kernel32.GetLastError(), "setting the worker's limits");
    kernel32.CloseHandle(job);
    throw error;
  }
  let closed = false;
  let sealed = false;
  return {
    assign(pid) {
      if (closed) throw new Error(`the worker's job object is closed: cannot assign pid ${pid}`);
      if (!Number.isSafeInteger(pid) || pid <= 0) throw new RangeError(`not a process id: ${pid}`);
      const processHandle = kernel32.OpenProcess(WORKER_PROCESS_ACCESS, 0, pid);
      if (!isHandle(processHandle)) throw new Win32Error("OpenProcess", kernel32.GetLastError(), `for the worker (pid ${pid})`);
      const assigned = kernel32.AssignProcessToJobObject(job, processHandle);
      const code = assigned ? 0 : kernel32.GetLastError();
      kernel32.CloseHandle(processHandle);
      if (!assigned) throw new Win32Error("AssignProcessToJobObject", code, `for the worker (pid ${pid})`);
    },
    sealChildren() {
      if (closed) throw new Error("the worker's job object is closed: cannot seal it");
      if (sealed) return;
      if (!setLimits(true)) throw new Win32Error("SetInformationJobObject", kernel32.GetLastError(), "limiting the worker to one process");
      sealed = true;
    },
    close() {
      if (closed) return;
      closed = true;
      if (!kernel32.CloseHandle(job)) throw new Win32Error("CloseHandle", kernel32.GetLastError(), "on the worker's job object");
    },
  };
}

function isHandle(handle: Win32Handle | null): handle is Win32Handle {
  return handle !== null && handle !== 0n;
}
