/** The full-screen app on X11 from xprop's output, and unavailable without X11. */
import { describe, expect, it } from "vitest";
import { fakeCommandRunner } from "./fake-command-runner.fixture";
import { createX11FullscreenSource, parseActiveWindow, parseWindowFullscreen } from "./x11-fullscreen";

const ROOT = "xprop -root _NET_ACTIVE_WINDOW";
const WINDOW = "xprop -id 0x3a00007 _NET_WM_STATE WM_CLASS";
const x11 = { DISPLAY: ":0" };

describe("xprop", () => {
  it("names the app whose active window is full screen", async () => {
    const run = fakeCommandRunner({
      [ROOT]: "_NET_ACTIVE_WINDOW(WINDOW): window id # 0x3a00007\n",
      [WINDOW]: '_NET_WM_STATE(ATOM) = _NET_WM_STATE_FULLSCREEN, _NET_WM_STATE_FOCUSED\nWM_CLASS(STRING) = "steam_app_1091500", "steam_app_1091500"\n',
    });
    expect(await createX11FullscreenSource(run, x11).fullscreenApp()).toEqual({ app: "steam_app_1091500" });
  });

  it("says no full-screen app for a normal window or no active window", async () => {
    expect(parseWindowFullscreen('_NET_WM_STATE(ATOM) = _NET_WM_STATE_MAXIMIZED_VERT\nWM_CLASS(STRING) = "code", "Code"\n')).toBeNull();
    expect(parseWindowFullscreen('_NET_WM_STATE:  not found.\nWM_CLASS(STRING) = "xterm", "XTerm"\n')).toBeNull();
    expect(parseActiveWindow("_NET_ACTIVE_WINDOW(WINDOW): window id # 0x0\n")).toBe("none");
    const run = fakeCommandRunner({ [ROOT]: "_NET_ACTIVE_WINDOW(WINDOW): window id # 0x0\n" });
    expect(await createX11FullscreenSource(run, x11).fullscreenApp()).toEqual({ app: null });
  });

  it("is unavailable without a display, in a Wayland session, or without xprop", async () => {
    const run = fakeCommandRunner({ [ROOT]: "_NET_ACTIVE_WINDOW(WINDOW): window id # 0x0\n" });
    expect(await createX11FullscreenSource(run, {}).fullscreenApp()).toBeNull();
    expect(await createX11FullscreenSource(run, { ...x11, WAYLAND_DISPLAY: "wayland-0" }).fullscreenApp()).toBeNull();
    expect(await createX11FullscreenSource(fakeCommandRunner({}), x11).fullscreenApp()).toBeNull();
  });
});
