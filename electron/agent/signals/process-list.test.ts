/**
 * The process list on each platform: a fake Linux /proc tree, and macOS `ps` and Windows
 * `tasklist` outputs as they print them.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fakeCommandRunner } from "./fake-command-runner.fixture";
import { createProcessSource, parseLinuxProcess, parseMacPs, parseTasklist, readLinuxProcesses, splitCsvLine } from "./process-list";

const fixture = (name: string) => readFile(path.join(import.meta.dirname, "fixtures", name), "utf8");

describe("Linux /proc", () => {
  let proc: string;
  beforeEach(async () => {
    proc = await mkdtemp(path.join(os.tmpdir(), "offpeak-proc-"));
  });
  afterEach(async () => {
    await rm(proc, { recursive: true, force: true });
  });

  async function processDir(pid: string, comm: string | null, cmdline: string | null): Promise<void> {
    await mkdir(path.join(proc, pid), { recursive: true });
    if (comm !== null) await writeFile(path.join(proc, pid, "comm"), `${comm}\n`);
    if (cmdline !== null) await writeFile(path.join(proc, pid, "cmdline"), cmdline);
  }

  it("lists user processes with their full names, paths and command lines, and leaves out kernel threads", async () => {
    await processDir("1", "systemd", "/sbin/init\0splash\0");
    await processDir("2", "kthreadd", "");
    await processDir("1234", "Cyberpunk2077.e", "Z:\\home\\ana\\.local\\share\\Steam\\steamapps\\common\\Cyberpunk 2077\\bin\\x64\\Cyberpunk2077.exe\0--launcher-skip\0");
    await processDir("77", "bash", "-bash\0");
    await processDir("88", "gone", null); // ended while listed
    await mkdir(path.join(proc, "self"));
    await writeFile(path.join(proc, "cpuinfo"), "processor: 0\n");

    const list = await readLinuxProcesses(proc);
    const byPid = new Map(list!.map((p) => [p.pid, p]));
    expect([...byPid.keys()].sort((a, b) => a - b)).toEqual([1, 77, 1234]);
    expect(byPid.get(1)).toEqual({ pid: 1, name: "systemd", exePath: "/sbin/init", commandLine: "/sbin/init splash" });
    expect(byPid.get(1234)!.name).toBe("Cyberpunk2077.exe");
    expect(byPid.get(1234)!.commandLine).toContain("steamapps\\common\\Cyberpunk 2077");
    expect(byPid.get(77)).toMatchObject({ name: "bash", exePath: null });
  });

  it("keeps the kernel's name when the command line names another program", () => {
    expect(parseLinuxProcess(5, "code", "/usr/share/code/electron\0--type=renderer\0")?.name).toBe("code");
  });

  it("is unavailable when the tree cannot be read", async () => {
    expect(await readLinuxProcesses(path.join(proc, "missing"))).toBeNull();
  });
});

describe("macOS ps", () => {
  it("parses pids and executable paths with spaces", async () => {
    const list = parseMacPs(await fixture("ps-macos.txt"));
    expect(list).toHaveLength(7);
    expect(list.find((p) => p.pid === 812)).toEqual({
      pid: 812,
      name: "Baldur's Gate 3",
      exePath: "/Users/ana/Library/Application Support/Steam/steamapps/common/Baldurs Gate 3/Baldur's Gate 3.app/Contents/MacOS/Baldur's Gate 3",
      commandLine: null,
    });
    expect(list.find((p) => p.pid === 1042)).toMatchObject({ name: "-zsh", exePath: null });
  });

  it("runs ps through the source and is unavailable when ps fails", async () => {
    const run = fakeCommandRunner({ "ps -axo pid=,comm=": await fixture("ps-macos.txt") });
    expect(await createProcessSource("darwin", run).list()).toHaveLength(7);
    const broken = fakeCommandRunner({ "ps -axo pid=,comm=": { ok: false, reason: "failed", message: "ps failed" } });
    expect(await createProcessSource("darwin", broken).list()).toBeNull();
  });
});

describe("Windows tasklist", () => {
  it("parses image names and pids from CSV with commas inside quoted fields", async () => {
    const list = parseTasklist(await fixture("tasklist-windows.txt"));
    expect(list.map((p) => p.pid)).toEqual([0, 4, 5312, 8812, 9120, 11000, 12004, 13370]);
    expect(list.find((p) => p.pid === 13370)).toEqual({ pid: 13370, name: "VALORANT-Win64-Shipping.exe", exePath: null, commandLine: null });
  });

  it("splits quoted CSV fields with escaped quotes", () => {
    expect(splitCsvLine('"a ""b""","1,2",c')).toEqual(['a "b"', "1,2", "c"]);
  });

  it("skips lines that are not processes (an error message in place of the list)", () => {
    expect(parseTasklist("INFO: No tasks are running which match the specified criteria.\r\n")).toEqual([]);
  });

  it("runs tasklist through the source", async () => {
    const run = fakeCommandRunner({ "tasklist /fo csv /nh": await fixture("tasklist-windows.txt") });
    expect((await createProcessSource("win32", run).list())?.length).toBe(8);
    expect(run.calls).toEqual(["tasklist /fo csv /nh"]);
  });
});
