/**
 * Starting Offpeak when the owner logs in: a login item on macOS and Windows
 * (`app.setLoginItemSettings`), an XDG autostart entry on Linux (where Electron has no login
 * items). A start at login opens no window, only the tray.
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { App } from "electron";

/** The argument a start at login carries (Windows, Linux), so the window stays hidden. */
export const HIDDEN_FLAG = "--hidden";

export interface LoginItemHost {
  readonly app: Pick<App, "setLoginItemSettings" | "getLoginItemSettings">;
  readonly platform: NodeJS.Platform;
  /** What to run at login on Linux: the AppImage when there is one, else this executable. */
  readonly executable: string;
  /** $XDG_CONFIG_HOME, or ~/.config. */
  readonly configHome?: string;
}

/** Where the Linux autostart entry lives. */
export function autostartFile(configHome: string): string {
  return path.join(configHome, "autostart", "offpeak.desktop");
}

/** The Linux autostart entry (desktop entry spec: arguments quoted, quotes and backslashes escaped). */
export function autostartEntry(executable: string): string {
  const quoted = `"${executable.replace(/(["`$\\])/g, "\\$1")}"`;
  return ["[Desktop Entry]", "Type=Application", "Name=Offpeak", "Comment=Share this machine's idle GPU", `Exec=${quoted} ${HIDDEN_FLAG}`, "Terminal=false", "X-GNOME-Autostart-enabled=true", ""].join("\n");
}

/** Turns the start at login on or off. */
export async function setLaunchAtLogin(host: LoginItemHost, on: boolean): Promise<void> {
  if (host.platform === "linux") {
    const file = autostartFile(host.configHome ?? process.env.XDG_CONFIG_HOME ?? path.join(os.homedir(), ".config"));
    if (on) {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, autostartEntry(host.executable));
    } else {
      await rm(file, { force: true });
    }
    return;
  }
  host.app.setLoginItemSettings({ openAtLogin: on, args: on ? [HIDDEN_FLAG] : [] });
}

/** True when this run was started at login (then no window opens by itself). */
export function startedAtLogin(host: Pick<LoginItemHost, "app" | "platform">, argv: readonly string[]): boolean {
  if (argv.includes(HIDDEN_FLAG)) return true;
  return host.platform === "darwin" && host.app.getLoginItemSettings().wasOpenedAtLogin === true;
}
