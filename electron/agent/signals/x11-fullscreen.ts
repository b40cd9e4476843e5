/**
 * The full-screen app on a Linux X11 desktop, with `xprop` (when installed and `DISPLAY` is set):
 * the active window (`xprop -root _NET_ACTIVE_WINDOW`), then its state and class
 * (`xprop -id <id> _NET_WM_STATE WM_CLASS`). A window in `_NET_WM_STATE_FULLSCREEN` is the
 * full-screen app, named by its WM_CLASS class. Without X11, or in a Wayland session (where
 * X11 sees only some windows), the signal is unavailable.
 */
import type { FullscreenSource } from "./signal-sources";
import type { RunCommand } from "./run-command";

/** The active window's id from `xprop -root _NET_ACTIVE_WINDOW`; "none" for no window; null if unreadable. */
export function parseActiveWindow(output: string): string | "none" | null {
  const match = /window id # (0x[0-9a-f]+)/i.exec(output);
  if (!match) return null;
  return /^0x0+$/i.test(match[1]!) ? "none" : match[1]!;
}

/** From `xprop -id <id> _NET_WM_STATE WM_CLASS`: the window's app name when it is full screen, else null. */
export function parseWindowFullscreen(output: string): string | null {
  const state = /^_NET_WM_STATE\(ATOM\) = (.*)$/m.exec(output)?.[1] ?? "";
  if (!state.split(/,\s*/).includes("_NET_WM_STATE_FULLSCREEN")) return null;
  const classes = /^WM_CLASS\(\w+\) = (.*)$/m.exec(output)?.[1] ?? "";
  const names = [...classes.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
  return names[names.length - 1] || "A full-screen app";
}

/** The X11 full-screen source, or an unavailable one without a display. */
export function createX11FullscreenSource(run: RunCommand, env: NodeJS.ProcessEnv = process.env): FullscreenSource {
  return {
    fullscreenApp: async () => {
      if (!env.DISPLAY || env.WAYLAND_DISPLAY || env.XDG_SESSION_TYPE === "wayland") return null;
      const root = await run("xprop", ["-root", "_NET_ACTIVE_WINDOW"], { timeoutMs: 1000 });
      if (!root.ok) return null;
      const id = parseActiveWindow(root.stdout);
      if (id === null) return null;
      if (id === "none") return { app: null };
      const window = await run("xprop", ["-id", id, "_NET_WM_STATE", "WM_CLASS"], { timeoutMs: 1000 });
      if (!window.ok) return { app: null }; // the window closed between the two calls
      return { app: parseWindowFullscreen(window.stdout) };
    },
  };
}
