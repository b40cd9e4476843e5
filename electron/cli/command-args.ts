/**
 * Argument parsing shared by the commands that take their own options (`models`, `wallet`,
 * `withdraw`, `earnings`): strict options, `--help`, and one way of reporting a mistake (the message, then
 * the command's usage, exit code 2).
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import type { CliIo } from "./main";

type Options = NonNullable<ParseArgsConfig["options"]>;
type WithHelp<O extends Options> = O & { help: { type: "boolean" } };

/** What `parseArgs` makes of `options` (plus `--help`). */
export type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: WithHelp<O>; strict: true; allowPositionals: true }>>;

/**
 * Parses `args` of `offpeak <command>`. Returns the values and positionals, or the exit code when
 * the command is done already: 0 after printing the usage for `--help`, 2 after a mistake.
 */
export function parseCommandArgs<O extends Options>(command: string, args: readonly string[], options: O, usage: string, io: CliIo): Parsed<O> | number {
  let parsed: Parsed<O>;
  try {
    parsed = parseArgs({ args: [...args], strict: true, allowPositionals: true, options: { ...options, help: { type: "boolean" } } as WithHelp<O> });
  } catch (error) {
    io.err(`offpeak ${command}: ${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  if ((parsed.values as { help?: boolean }).help) {
    io.out(usage);
    return 0;
  }
  return parsed;
}

/**
 * Parses `offpeak <command> <subcommand> …`: without a subcommand the usage and exit code 2;
 * `help`, `-h` or `--help` in its place the usage and 0; then as `parseCommandArgs`.
 */
export function parseSubcommandArgs<O extends Options>(command: string, args: readonly string[], options: O, usage: string, io: CliIo): (Parsed<O> & { sub: string }) | number {
  const [sub, ...rest] = args;
  if (!sub || sub === "--help" || sub === "-h" || sub === "help") {
    io.out(usage);
    return sub ? 0 : 2;
  }
  const parsed = parseCommandArgs(`${command} ${sub}`, rest, options, usage, io);
  return typeof parsed === "number" ? parsed : Object.assign(parsed, { sub });
}
