/**
 * The desktop app's log: JSON lines in `<data folder>/logs/offpeak.log`, rotated when it passes
 * a size (offpeak.log → offpeak.1.log → … → offpeak.<keep>.log, the oldest dropped), so the
 * folder never holds more than about (keep + 1) × maxBytes. Writes are small appends; a failed
 * write is dropped rather than crashing the app.
 */
import { appendFileSync, existsSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import type { Logger } from "../../shared/logger";

export interface LogFileOptions {
  readonly dir: string;
  /** Rotate once the current file passes this size (default 1 MiB). */
  readonly maxBytes?: number;
  /** Rotated files kept (default 3). */
  readonly keep?: number;
  readonly minLevel?: "debug" | "info" | "warn" | "error";
  readonly now?: () => Date;
}

const LEVELS = ["debug", "info", "warn", "error"] as const;
export const LOG_FILE_NAME = "offpeak.log";

/** The log files of a folder, oldest first (offpeak.3.log … offpeak.log), that exist. */
export function logFiles(dir: string, keep = 3): string[] {
  const names = [...Array.from({ length: keep }, (_, i) => `offpeak.${keep - i}.log`), LOG_FILE_NAME];
  return names.map((name) => path.join(dir, name)).filter((file) => existsSync(file));
}

/** A logger appending to the rotating log file. */
export function createFileLogger(options: LogFileOptions): Logger & { readonly file: string } {
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  const keep = options.keep ?? 3;
  const min = LEVELS.indexOf(options.minLevel ?? "info");
  const now = options.now ?? (() => new Date());
  const file = path.join(options.dir, LOG_FILE_NAME);
  mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  let size = existsSync(file) ? statSync(file).size : 0;

  const rotate = () => {
    rmSync(path.join(options.dir, `offpeak.${keep}.log`), { force: true });
    for (let i = keep - 1; i >= 1; i--) {
      const from = path.join(options.dir, `offpeak.${i}.log`);
      if (existsSync(from)) renameSync(from, path.join(options.dir, `offpeak.${i + 1}.log`));
    }
    if (keep >= 1) renameSync(file, path.join(options.dir, "offpeak.1.log"));
    else rmSync(file, { force: true });
    size = 0;
  };

  const log = (level: (typeof LEVELS)[number]) => (message: string, fields?: Record<string, unknown>) => {
    if (LEVELS.indexOf(level) < min) return;
    const line = `${JSON.stringify({ time: now().toISOString(), level, message, ...(fields ? { fields } : {}) })}\n`;
    try {
      if (size > 0 && size + Buffer.byteLength(line) > maxBytes) rotate();
      appendFileSync(file, line, { mode: 0o600 });
      size += Buffer.byteLength(line);
    } catch {
      // The log is for later reading; losing a line must not stop the app.
    }
  };
  return { file, debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
}

/** A logger that hands every line to each of `loggers` (console and file). */
export function teeLogger(...loggers: Logger[]): Logger {
  return {
    debug: (m, f) => loggers.forEach((l) => l.debug(m, f)),
    info: (m, f) => loggers.forEach((l) => l.info(m, f)),
    warn: (m, f) => loggers.forEach((l) => l.warn(m, f)),
    error: (m, f) => loggers.forEach((l) => l.error(m, f)),
  };
}
