/**
 * The coordinator's structured log: the project's {@link Logger} written as pino JSON lines.
 * Fields never hold prompt text, output text or keys by contract (shared/logger.ts); pino's
 * redaction is the second line of defence, blanking any field that carries such a name anyway.
 */
import pino, { type DestinationStream } from "pino";
import type { Logger } from "../shared/logger";

/** Field names whose values never reach the log, at the top level or one object down. */
export const REDACTED_FIELDS = [
  ...["prompt", "prompts", "messages", "content", "completion", "text", "input", "output", "prefill"],
  ...["phrase", "mnemonic", "privateKey", "key", "token", "apiKey", "password", "authorization", "secret"],
] as const;

/** Options of the log. */
export interface PinoLoggerOptions {
  readonly level?: "debug" | "info" | "warn" | "error";
  /** Where lines go (default stderr, so stdout stays for what other programs read). */
  readonly destination?: DestinationStream;
  /** Added to every line as `name`. */
  readonly name?: string;
}

/** A Logger writing pino JSON lines. */
export function createPinoLogger(options: PinoLoggerOptions = {}): Logger {
  const log = pino(
    {
      level: options.level ?? "info",
      ...(options.name ? { name: options.name } : {}),
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_FIELDS.flatMap((f) => [f, `*.${f}`]), censor: "[redacted]" },
    },
    options.destination ?? pino.destination({ fd: 2, sync: true }),
  );
  const at = (level: "debug" | "info" | "warn" | "error") => (message: string, fields?: Record<string, unknown>) => {
    if (fields && Object.keys(fields).length > 0) log[level](fields, message);
    else log[level](message);
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}
