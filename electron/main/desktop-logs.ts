/**
 * The desktop side of ControlApi's `showLogs` and `exportLogs` (the agent answers them headless
 * with an error): reveal the log file, or write a redacted export and reveal that.
 */
import { existsSync } from "node:fs";
import type { Shell } from "electron";
import type { ControlApi, LogExport, Result } from "../../shared/control-api";
import type { Logger } from "../../shared/logger";
import { exportRedactedLogs } from "./log-export";
import { LOG_FILE_NAME } from "./log-file";
import path from "node:path";

export interface DesktopLogsOptions {
  readonly logDir: string;
  /** Where exports go (the Downloads folder). */
  readonly exportDir: () => string;
  readonly shell: Pick<Shell, "showItemInFolder">;
  readonly appVersion?: string;
  readonly logger: Logger;
}

export type DesktopLogs = Pick<ControlApi, "showLogs" | "exportLogs">;

export function createDesktopLogs(options: DesktopLogsOptions): DesktopLogs {
  return {
    async showLogs(): Promise<Result<null>> {
      const file = path.join(options.logDir, LOG_FILE_NAME);
      options.shell.showItemInFolder(existsSync(file) ? file : options.logDir);
      return { ok: true, value: null };
    },
    async exportLogs(): Promise<Result<LogExport>> {
      try {
        const file = await exportRedactedLogs({ logDir: options.logDir, outDir: options.exportDir(), appVersion: options.appVersion });
        options.shell.showItemInFolder(file);
        return { ok: true, value: { path: file } };
      } catch (error) {
        options.logger.warn("log export failed", { error: String(error) });
        return { ok: false, error: `The logs could not be exported: ${error instanceof Error ? error.message : String(error)}` };
      }
    },
  };
}

/** The agent's ControlApi with the desktop's answers to the log methods. */
export function withDesktopLogs(control: ControlApi, logs: DesktopLogs): ControlApi {
  return new Proxy(control, {
    get(target, property) {
      if (property === "showLogs") return logs.showLogs;
      if (property === "exportLogs") return logs.exportLogs;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
