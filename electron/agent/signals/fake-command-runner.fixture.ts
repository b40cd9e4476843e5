/**
 * A scripted {@link RunCommand} for tests: answers by the command line ("nvidia-smi --query-gpu=…"),
 * records every call, and says "missing" for programs it does not know.
 */
import type { CommandResult, RunCommand } from "./run-command";

/** What a scripted command answers: its stdout, or a failure. */
export type ScriptedAnswer = string | Extract<CommandResult, { ok: false }>;

/** A fake runner; `calls` holds each command line run, in order. */
export function fakeCommandRunner(script: Record<string, ScriptedAnswer>): RunCommand & { calls: string[] } {
  const calls: string[] = [];
  const run = async (file: string, args: readonly string[]): Promise<CommandResult> => {
    const line = [file, ...args].join(" ");
    calls.push(line);
    const answer = script[line];
    if (answer === undefined) return { ok: false, reason: "missing", message: `${file} is not installed` };
    return typeof answer === "string" ? { ok: true, stdout: answer } : answer;
  };
  return Object.assign(run, { calls });
}
