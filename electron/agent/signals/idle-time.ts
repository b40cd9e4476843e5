/**
 * Seconds since the owner last touched the keyboard or mouse, without Electron:
 * - Linux on X11 (`DISPLAY` set, not a Wayland session): `xprintidle` (milliseconds), when
 *   installed. Under Wayland, X11 idle only sees X11 windows, so it is not used.
 * - Linux otherwise: logind's idle hint of the user's graphical session
 *   (`loginctl show-user <uid> -p Display`, then `loginctl show-session <id> -p IdleHint
 *   -p IdleSinceHint`). The desktop sets the hint after its own idle delay; until then the
 *   session counts as in use (0 s). IdleSinceHint is microseconds since the epoch.
 * - macOS: `ioreg -c IOHIDSystem`'s HIDIdleTime (nanoseconds).
 * - Windows has no command for it: only the desktop app (Electron's powerMonitor) knows.
 */
import type { IdleSource } from "./signal-sources";
import type { RunCommand } from "./run-command";

/** `key=value` lines (systemd's `show` output) as a map. */
export function parseKeyValues(output: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of output.split("\n")) {
    const at = line.indexOf("=");
    if (at > 0) values.set(line.slice(0, at).trim(), line.slice(at + 1).trim());
  }
  return values;
}

/** Idle seconds from `loginctl show-session … -p IdleHint -p IdleSinceHint` output, or null. */
export function parseLogindIdle(output: string, nowMs: number): number | null {
  const values = parseKeyValues(output);
  const hint = values.get("IdleHint");
  if (hint === "no") return 0;
  if (hint !== "yes") return null;
  const sinceMicros = Number(values.get("IdleSinceHint"));
  if (!Number.isFinite(sinceMicros) || sinceMicros <= 0) return null;
  return Math.max(0, (nowMs - sinceMicros / 1000) / 1000);
}

/** Idle seconds from `xprintidle` output (milliseconds), or null. */
export function parseXprintidle(output: string): number | null {
  const text = output.trim();
  if (!/^\d+$/.test(text)) return null;
  return Number(text) / 1000;
}

/** Idle seconds from `ioreg -c IOHIDSystem` output (HIDIdleTime in nanoseconds), or null. */
export function parseIoregIdle(output: string): number | null {
  const match = /"HIDIdleTime"\s*=\s*(\d+)/.exec(output);
  return match ? Number(match[1]) / 1e9 : null;
}

/** Options of {@link createIdleSource}. */
export interface IdleSourceOptions {
  readonly platform: NodeJS.Platform;
  readonly run: RunCommand;
  readonly now: () => number;
  readonly env?: NodeJS.ProcessEnv;
  /** The user whose graphical session counts; defaults to this process's user. */
  readonly uid?: number | null;
}

/** The headless idle source of a platform. */
export function createIdleSource(options: IdleSourceOptions): IdleSource {
  const { platform, run, now } = options;
  const env = options.env ?? process.env;
  if (platform === "darwin") {
    return {
      idleSeconds: async () => {
        const result = await run("ioreg", ["-c", "IOHIDSystem", "-d", "4", "-k", "HIDIdleTime"]);
        return result.ok ? parseIoregIdle(result.stdout) : null;
      },
    };
  }
  if (platform !== "linux") return { idleSeconds: async () => null };
  const uid = options.uid !== undefined ? options.uid : (process.getuid?.() ?? null);
  const fromX11 = async (): Promise<number | null> => {
    if (!env.DISPLAY || env.WAYLAND_DISPLAY || env.XDG_SESSION_TYPE === "wayland") return null;
    const result = await run("xprintidle", [], { timeoutMs: 1000 });
    return result.ok ? parseXprintidle(result.stdout) : null;
  };
  const fromLogind = async (): Promise<number | null> => {
    if (uid === null) return null;
    const user = await run("loginctl", ["show-user", String(uid), "-p", "Display"]);
    if (!user.ok) return null;
    const session = parseKeyValues(user.stdout).get("Display");
    if (!session || !/^[\w-]+$/.test(session)) return null; // no graphical session
    const shown = await run("loginctl", ["show-session", session, "-p", "IdleHint", "-p", "IdleSinceHint"]);
    return shown.ok ? parseLogindIdle(shown.stdout, now()) : null;
  };
  return { idleSeconds: async () => (await fromX11()) ?? (await fromLogind()) };
}
