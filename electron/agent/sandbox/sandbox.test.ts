import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { existsSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sandboxStatusSchema } from "../../../shared/control-api";
import { detectSandbox, findExecutable, sandboxCommandFor, type RunResult } from "./sandbox";

let dir = "";
let appRoot = "";
let models = "";
let workerHome = "";

beforeAll(async () => {
  dir = realpathSync(await mkdtemp(join(tmpdir(), "offpeak-sandbox-detect-")));
  appRoot = join(dir, "app");
  models = join(dir, "models");
  workerHome = join(dir, "worker-home");
  await mkdir(appRoot);
  await mkdir(models);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A probe runner that answers from a script and records what was run. */
function scriptedRun(answers: RunResult[]) {
  const calls: { command: string; args: readonly string[] }[] = [];
  const run = async (command: string, args: readonly string[]) => {
    calls.push({ command, args });
    return answers[calls.length - 1] ?? { code: 0, output: "" };
  };
  return { run, calls };
}

const base = () => ({ appRoot, modelDirs: [models], workerHome, nodeBinary: "/usr/bin/node", gpuDevices: [] });

describe("detectSandbox on Linux", () => {
  it("says how to install bubblewrap when it is missing", async () => {
    const plan = await detectSandbox({ ...base(), platform: "linux", which: () => null });
    expect(plan.status).toEqual({ kind: "none", active: false, detail: expect.stringContaining("bubblewrap is not installed") });
    expect(plan.status.detail).toContain("apt install bubblewrap");
    expect(plan.wrap).toBeNull();
    expect(sandboxStatusSchema.parse(plan.status)).toEqual(plan.status);
  });

  it("says user namespaces are disabled when the basic probe fails, quoting bubblewrap", async () => {
    const { run, calls } = scriptedRun([{ code: 1, output: "bwrap: setting up uid map: Permission denied\n" }]);
    const plan = await detectSandbox({ ...base(), platform: "linux", which: () => "/usr/bin/bwrap", run });
    expect(calls[0]).toEqual({ command: "/usr/bin/bwrap", args: ["--unshare-all", "--ro-bind", "/", "/", "true"] });
    expect(plan.status.kind).toBe("none");
    expect(plan.status.detail).toMatch(/^user namespaces are disabled/);
    expect(plan.status.detail).toContain("setting up uid map: Permission denied");
    expect(plan.wrap).toBeNull();
  });

  it("reports no sandbox when Node does not start with the worker's mounts", async () => {
    const { run } = scriptedRun([{ code: 0, output: "" }, { code: 127, output: "bwrap: execvp /usr/bin/node: No such file or directory" }]);
    const plan = await detectSandbox({ ...base(), platform: "linux", which: () => "/usr/bin/bwrap", run });
    expect(plan.status.kind).toBe("none");
    expect(plan.status.detail).toContain("Node does not start inside it");
    expect(plan.status.detail).toContain("execvp /usr/bin/node");
  });

  it("returns an active bubblewrap plan whose wrap runs the worker with its IPC channel; the probe runs without one", async () => {
    const { run, calls } = scriptedRun([]);
    const plan = await detectSandbox({ ...base(), platform: "linux", which: () => "/opt/bin/bwrap", run });
    expect(plan.status.kind).toBe("bubblewrap");
    expect(plan.status.active).toBe(true);
    expect(plan.status.detail).toContain("no network");
    expect(existsSync(workerHome)).toBe(true);
    expect(calls[1]?.args.slice(-3)).toEqual(["/usr/bin/node", "-e", "process.exit(0)"]);
    expect(calls[1]?.args.join(" ")).not.toContain("NODE_CHANNEL_FD");

    const [command, args] = plan.wrap?.("/usr/bin/node", ["--import", "tsx", "worker.ts"], { LANG: "C", OFFPEAK_TOKEN: "t" }) ?? ["", []];
    expect(command).toBe("/opt/bin/bwrap");
    expect(args.slice(0, 2)).toEqual(["--unshare-all", "--die-with-parent"]);
    expect(args.join(" ")).toContain("--setenv NODE_CHANNEL_FD 3");
    expect(args.join(" ")).toContain(`--ro-bind ${models} ${models}`);
    expect(args.join(" ")).toContain(`--bind ${workerHome} ${workerHome}`);
    expect(args.join(" ")).not.toContain("OFFPEAK_TOKEN");
    expect(args.slice(-4)).toEqual(["/usr/bin/node", "--import", "tsx", "worker.ts"]);

    const [, benchArgs] = sandboxCommandFor(plan, "/usr/bin/node", ["bench.js"], { ipc: false });
    expect(benchArgs.join(" ")).not.toContain("NODE_CHANNEL_FD");
  });

  it("leaves out model folders that do not exist", async () => {
    const { run, calls } = scriptedRun([]);
    await detectSandbox({ ...base(), modelDirs: [models, join(dir, "missing")], platform: "linux", which: () => "/usr/bin/bwrap", run });
    expect(calls[1]?.args.join(" ")).not.toContain("missing");
  });
});

describe("detectSandbox on macOS and Windows", () => {
  it("runs the worker under sandbox-exec with the profile and its parameters", async () => {
    const { run, calls } = scriptedRun([]);
    const plan = await detectSandbox({ ...base(), platform: "darwin", which: () => "/usr/bin/sandbox-exec", run, profilePath: "/app/worker.sb" });
    expect(plan.status).toEqual({ kind: "sandbox-exec", active: true, detail: expect.stringContaining("no network") });
    expect(calls[0]?.command).toBe("/usr/bin/sandbox-exec");
    expect(calls[0]?.args.slice(-2)).toEqual(["-e", "process.exit(0)"]);
    const [command, args] = plan.wrap?.("/usr/bin/node", ["worker.js"]) ?? ["", []];
    expect(command).toBe("/usr/bin/sandbox-exec");
    expect(args.slice(0, 2)).toEqual(["-f", "/app/worker.sb"]);
    expect(args).toContain(`APP_ROOT=${appRoot}`);
    expect(args).toContain(`MODEL_DIR=${models}`);
    expect(args).toContain(`WORKER_HOME=${workerHome}`);
    expect(args.slice(-2)).toEqual(["/usr/bin/node", "worker.js"]);
  });

  it("reports no sandbox when the profile does not start Node", async () => {
    const { run } = scriptedRun([{ code: 65, output: "sandbox-exec: invalid data type of path filter" }]);
    const plan = await detectSandbox({ ...base(), platform: "darwin", which: () => "/usr/bin/sandbox-exec", run });
    expect(plan.status.kind).toBe("none");
    expect(plan.status.detail).toContain("invalid data type of path filter");
    expect(plan.wrap).toBeNull();
  });

});

/** A job factory standing in for kernel32: records each job's cap, pids, whether it is sealed and whether it is closed. */
function fakeJobs(failAssign?: Error, failSeal?: Error) {
  const jobs: { memoryLimitBytes: number; pids: number[]; sealed: boolean; closed: boolean }[] = [];
  const createJob = ({ memoryLimitBytes }: { memoryLimitBytes: number }) => {
    const job = { memoryLimitBytes, pids: [] as number[], sealed: false, closed: false };
    jobs.push(job);
    return {
      assign(pid: number) {
        if (failAssign) throw failAssign;
        job.pids.push(pid);
      },
      sealChildren() {
        if (failSeal) throw failSeal;
        job.sealed = true;
      },
      close() {
        job.closed = true;
      },
    };
  };
  return { jobs, createJob };
}

const GIB = 2 ** 30;

describe("detectSandbox on Windows", () => {
  it("contains each worker in its own job object, capped at the machine's memory less 2 GB, and says what it does not contain", async () => {
    const { jobs, createJob } = fakeJobs();
    const plan = await detectSandbox({ ...base(), platform: "win32", totalMemoryBytes: 16 * GIB, createJob });
    expect(plan.status).toEqual({
      kind: "job-object",
      active: true,
      detail:
        "job object: memory capped at 14 GB, no child processes once the model is loaded, ended with the app; the worker can still reach the network and read the owner's files (no AppContainer yet)",
    });
    expect(sandboxStatusSchema.parse(plan.status)).toEqual(plan.status);
    expect(plan.wrap).toBeNull();
    expect(sandboxCommandFor(plan, "node.exe", ["w.js"])).toEqual(["node.exe", ["w.js"]]);
    // The probe job was made with the worker's limits and closed again.
    expect(jobs).toEqual([{ memoryLimitBytes: 14 * GIB, pids: [], sealed: false, closed: true }]);

    const first = plan.contain?.(1200);
    const second = plan.contain?.(1300);
    // Not sealed at spawn: the worker may still test a GPU build in a child process.
    expect(jobs.slice(1)).toEqual([
      { memoryLimitBytes: 14 * GIB, pids: [1200], sealed: false, closed: false },
      { memoryLimitBytes: 14 * GIB, pids: [1300], sealed: false, closed: false },
    ]);
    first?.seal();
    expect(jobs.map((job) => job.sealed)).toEqual([false, true, false]);
    first?.release();
    expect(jobs.map((job) => job.closed)).toEqual([true, true, false]);
    second?.release();
    expect(jobs[2]?.closed).toBe(true);
  });

  it("passes a refused seal on to the caller", async () => {
    const { createJob } = fakeJobs(undefined, new Error("SetInformationJobObject failed limiting the worker to one process: Windows error 5 (access denied)"));
    const plan = await detectSandbox({ ...base(), platform: "win32", totalMemoryBytes: 8 * GIB, createJob });
    const containment = plan.contain?.(9);
    expect(() => containment?.seal()).toThrow("limiting the worker to one process");
  });

  it("takes the memory cap as a parameter, and never caps below 2 GB by default", async () => {
    const given = fakeJobs();
    const plan = await detectSandbox({ ...base(), platform: "win32", memoryLimitBytes: 6 * GIB, createJob: given.createJob });
    expect(plan.status.detail).toContain("memory capped at 6 GB");
    expect(given.jobs[0]?.memoryLimitBytes).toBe(6 * GIB);
    const small = fakeJobs();
    await detectSandbox({ ...base(), platform: "win32", totalMemoryBytes: 3 * GIB, createJob: small.createJob });
    expect(small.jobs[0]?.memoryLimitBytes).toBe(2 * GIB);
  });

  it("closes the job and passes the error on when the worker cannot be assigned", async () => {
    const { jobs, createJob } = fakeJobs(new Error("AssignProcessToJobObject failed for the worker (pid 9): Windows error 5 (access denied)"));
    const plan = await detectSandbox({ ...base(), platform: "win32", totalMemoryBytes: 8 * GIB, createJob });
    expect(() => plan.contain?.(9)).toThrow("Windows error 5");
    expect(jobs[1]?.closed).toBe(true);
  });

  it("reports no sandbox, with the reason, when the job object cannot be made (koffi missing for this machine)", async () => {
    const plan = await detectSandbox({
      ...base(),
      platform: "win32",
      createJob: () => {
        throw new Error("the koffi FFI module could not be loaded for win32-arm: no prebuilt binary");
      },
    });
    expect(plan.status.kind).toBe("none");
    expect(plan.status.active).toBe(false);
    expect(plan.status.detail).toContain("koffi FFI module could not be loaded for win32-arm");
    expect(plan.status.detail).toMatch(/network and the owner's files/);
    expect(plan.contain ?? null).toBeNull();
  });

  it.skipIf(process.platform === "win32")("by default goes through kernel32, and off Windows says it cannot", async () => {
    const plan = await detectSandbox({ ...base(), platform: "win32" });
    expect(plan.status.kind).toBe("none");
    expect(plan.status.detail).toContain("kernel32.dll could not be loaded");
  });
});

describe("findExecutable", () => {
  it("finds executables on the PATH and nothing for unknown names", () => {
    expect(findExecutable("node", `/nonexistent:${process.execPath.replace(/\/node$/, "")}`)).toBe(process.execPath);
    expect(findExecutable("offpeak-no-such-command-xyz")).toBeNull();
  });
});
