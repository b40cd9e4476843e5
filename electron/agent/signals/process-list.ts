/**
 * The running processes on each platform:
 * - Linux: `/proc/<pid>/comm` and `/proc/<pid>/cmdline` (kernel threads, which have no command
 *   line, are left out). `comm` is cut at 15 characters, so the name is taken from the command
 *   line's first word when that is the same name in full ("Cyberpunk2077.exe" under Proton).
 * - macOS: `ps -axo pid=,comm=`, whose `comm` is the executable's full path.
 * - Windows: `tasklist /fo csv /nh` (names and pids only; paths would cost a slow query).
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { ProcessInfo, ProcessSource } from "./signal-sources";
import type { RunCommand } from "./run-command";

/** The last part of a Windows or POSIX path. */
export function baseName(file: string): string {
  const parts = file.split(/[\\/]/);
  return parts[parts.length - 1] ?? file;
}

/** One Linux process from its `comm` and raw `cmdline` (NUL-separated), or null for a kernel thread. */
export function parseLinuxProcess(pid: number, comm: string, cmdline: string): ProcessInfo | null {
  const args = cmdline.split("\0").filter((arg) => arg.length > 0);
  if (args.length === 0) return null;
  const shortName = comm.replace(/\n$/, "");
  const argv0 = args[0]!;
  const argv0Name = baseName(argv0);
  const name = shortName.length > 0 && argv0Name.startsWith(shortName) ? argv0Name : shortName || argv0Name;
  const exePath = /[\\/]/.test(argv0) ? argv0 : null;
  return { pid, name, exePath, commandLine: args.join(" ") };
}

/** Reads every process under a `/proc` tree (a parameter so tests can pass a fake tree). */
export async function readLinuxProcesses(procRoot: string = "/proc"): Promise<ProcessInfo[] | null> {
  let entries: string[];
  try {
    entries = await readdir(procRoot);
  } catch {
    return null;
  }
  const pids = entries.filter((entry) => /^\d+$/.test(entry)).map(Number);
  const processes = await Promise.all(
    pids.map(async (pid) => {
      try {
        const [comm, cmdline] = await Promise.all([
          readFile(path.join(procRoot, String(pid), "comm"), "utf8"),
          readFile(path.join(procRoot, String(pid), "cmdline"), "utf8"),
        ]);
        return parseLinuxProcess(pid, comm, cmdline);
      } catch {
        return null; // the process ended while we read it
      }
    }),
  );
  return processes.filter((p): p is ProcessInfo => p !== null);
}

/** Parses `ps -axo pid=,comm=` (macOS): a pid, spaces, then the executable (a path with spaces). */
export function parseMacPs(output: string): ProcessInfo[] {
  const processes: ProcessInfo[] = [];
  for (const line of output.split("\n")) {
    const match = /^\s*(\d+)\s+(.+?)\s*$/.exec(line);
    if (!match) continue;
    const comm = match[2]!;
    const isPath = comm.startsWith("/");
    processes.push({ pid: Number(match[1]), name: isPath ? baseName(comm) : comm, exePath: isPath ? comm : null, commandLine: null });
  }
  return processes;
}

/** Splits one CSV line with double-quoted fields (`""` inside a field is a quote). */
export function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i]!;
    if (quoted) {
      if (char === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ",") {
      fields.push(field);
      field = "";
    } else field += char;
  }
  fields.push(field);
  return fields;
}

/** Parses `tasklist /fo csv /nh` (Windows): `"image","pid","session","#","memory"` per line. */
export function parseTasklist(output: string): ProcessInfo[] {
  const processes: ProcessInfo[] = [];
  for (const line of output.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const [name, pid] = splitCsvLine(line.trim());
    if (!name || !pid || !/^\d+$/.test(pid)) continue;
    processes.push({ pid: Number(pid), name, exePath: null, commandLine: null });
  }
  return processes;
}

/** The process source of a platform (null list when it cannot be read). */
export function createProcessSource(platform: NodeJS.Platform, run: RunCommand, procRoot: string = "/proc"): ProcessSource {
  if (platform === "linux") return { list: () => readLinuxProcesses(procRoot) };
  if (platform === "darwin") {
    return {
      list: async () => {
        const result = await run("ps", ["-axo", "pid=,comm="]);
        return result.ok ? parseMacPs(result.stdout) : null;
      },
    };
  }
  if (platform === "win32") {
    return {
      list: async () => {
        const result = await run("tasklist", ["/fo", "csv", "/nh"]);
        return result.ok ? parseTasklist(result.stdout) : null;
      },
    };
  }
  return { list: async () => null };
}
