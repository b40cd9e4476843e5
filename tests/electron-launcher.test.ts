import { describe, expect, it } from "vitest";
import { findElectronBinary, hasDisplay, prepareElectron } from "../electron/cli/electron-launcher";

describe("choosing between the desktop app and headless", () => {
  it("knows where a window can be shown", () => {
    expect(hasDisplay("darwin", {})).toBe(true);
    expect(hasDisplay("win32", {})).toBe(true);
    expect(hasDisplay("linux", {})).toBe(false);
    expect(hasDisplay("linux", { DISPLAY: ":0" })).toBe(true);
    expect(hasDisplay("linux", { WAYLAND_DISPLAY: "wayland-0" })).toBe(true);
  });

  it("runs headless when asked, under CI, or with no display — with the reason", () => {
    expect(prepareElectron({ OFFPEAK_HEADLESS: "1", DISPLAY: ":0" })).toEqual({ ok: false, reason: "OFFPEAK_HEADLESS=1" });
    expect(prepareElectron({ CI: "true", DISPLAY: ":0" })).toEqual({ ok: false, reason: "running under CI" });
    if (process.platform === "linux") {
      expect(prepareElectron({})).toEqual({ ok: false, reason: expect.stringMatching(/no display/) });
    }
  });

  it("finds the Electron binary only where it was downloaded, without importing electron", () => {
    const found = findElectronBinary();
    if (found.ok) expect(found.path).toMatch(/electron/i);
    else expect(found.reason).toMatch(/not been downloaded|missing|not installed/);
  });
});
