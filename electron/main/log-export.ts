/**
 * "Export logs": the log files joined oldest first, passed through {@link redactText} (no keys,
 * tokens, phrases or prompts; addresses shortened), written as one text file the owner can
 * attach to a support request, and shown in the file manager.
 */
import { readFile, writeFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { redactText } from "../../shared/redact";
import { logFiles } from "./log-file";

/** "offpeak-logs-2026-01-31-1405.txt" for a local time. */
export function exportFileName(at: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `offpeak-logs-${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}-${pad(at.getHours())}${pad(at.getMinutes())}.txt`;
}

/** Writes the redacted export into `outDir`; resolves to its path. */
export async function exportRedactedLogs(options: { logDir: string; outDir: string; now?: Date; appVersion?: string }): Promise<string> {
  const at = options.now ?? new Date();
  const parts: string[] = [`Offpeak logs ${options.appVersion ?? ""}`.trim(), `exported ${at.toISOString()}`, ""];
  const files = logFiles(options.logDir);
  if (files.length === 0) parts.push("(no log lines yet)");
  for (const file of files) parts.push(await readFile(file, "utf8"));
  await mkdir(options.outDir, { recursive: true });
  const out = path.join(options.outDir, exportFileName(at));
  await writeFile(out, redactText(parts.join("\n")), { mode: 0o600 });
  return out;
}
