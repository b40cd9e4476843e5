/**
 * Runs a small system command for a signal source: `execFile` (never a shell), a short timeout,
 * hidden window on Windows. A missing program is told apart from one that failed, so a source can
 * say "not available here" instead of guessing.
 */
import { execFile } from "node:child_process";

/** What a command gave: its output, or why there is none. */
export type CommandResult =
  | { readonly ok: true; readonly stdout: string }
  | { readonly ok: false; readonly reason: "missing" | "failed" | "timeout"; readonly message: string };

/** Runs `file` with `args` and resolves with its output; never rejects. */
export type RunCommand = (file: string, args: readonly string[], options?: { readonly timeoutMs?: number }) => Promise<CommandResult>;

/** The timeout of a signal command unless a source asks otherwise. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 2000;

/** Creates the real {@link RunCommand} on `child_process.execFile`. */
export function createCommandRunner(defaultTimeoutMs: number = DEFAULT_COMMAND_TIMEOUT_MS): RunCommand {
  return (file, args, options = {}) =>
    new Promise((resolve) => {
      execFile(
        file,
        [...args],
        { timeout: options.timeoutMs ?? defaultTimeoutMs, windowsHide: true, maxBuffer: 8 * 1024 * 1024, encoding: "utf8" },
        (error, stdout, stderr) => {
          if (!error) return resolve({ ok: true, stdout });
          const code = (error as NodeJS.ErrnoException).code;
          if (code === "ENOENT") return resolve({ ok: false, reason: "missing", message: `${file} is not installed` });
          if (error.killed || error.signal === "SIGTERM") return resolve({ ok: false, reason: "timeout", message: `${file} timed out` });
          const detail = (stderr || stdout || error.message).trim().split("\n")[0] ?? "";
          resolve({ ok: false, reason: "failed", message: `${file} failed: ${detail}` });
        },
      );
    });
}

/** The output of a command, or null when it did not run cleanly. */
export async function outputOf(run: RunCommand, file: string, args: readonly string[]): Promise<string | null> {
  const result = await run(file, args);
  return result.ok ? result.stdout : null;
}
