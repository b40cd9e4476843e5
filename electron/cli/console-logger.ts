/**
 * The headless logger: one line per event on stderr (stdout stays for the lines other programs
 * read), warnings and errors by default, everything with `--verbose`.
 */
import type { Logger } from "../../shared/logger";

const LEVELS = ["debug", "info", "warn", "error"] as const;
type Level = (typeof LEVELS)[number];

/** A logger writing `time level message {fields}` lines to `write` at or above `minLevel`. */
export function createConsoleLogger(minLevel: Level, write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const min = LEVELS.indexOf(minLevel);
  const log = (level: Level) => (message: string, fields?: Record<string, unknown>) => {
    if (LEVELS.indexOf(level) < min) return;
    const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : "";
    write(`${new Date().toISOString()} ${level} ${message}${extra}\n`);
  };
  return { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
}
