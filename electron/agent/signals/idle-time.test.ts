/**
 * Idle time without Electron: logind's idle hint of the graphical session, X11's xprintidle,
 * macOS's ioreg, and "unavailable" where none of them answers.
 */
import { describe, expect, it } from "vitest";
import { fakeCommandRunner } from "./fake-command-runner.fixture";
import { createIdleSource, parseIoregIdle, parseLogindIdle, parseXprintidle } from "./idle-time";

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
const x11 = { DISPLAY: ":0" };

describe("logind", () => {
  it("counts the seconds since the session went idle (IdleSinceHint is µs since the epoch)", () => {
    const since = (NOW - 725_000) * 1000;
    expect(parseLogindIdle(`IdleHint=yes\nIdleSinceHint=${since}\n`, NOW)).toBeCloseTo(725, 6);
  });

  it("says 0 s while the session is in use, and null when the hint is missing", () => {
    expect(parseLogindIdle("IdleHint=no\nIdleSinceHint=1736942400000000\n", NOW)).toBe(0);
    expect(parseLogindIdle("", NOW)).toBeNull();
    expect(parseLogindIdle("IdleHint=yes\nIdleSinceHint=0\n", NOW)).toBeNull();
  });

  it("reads the idle hint of the user's graphical session", async () => {
    const since = (NOW - 90_000) * 1000;
    const run = fakeCommandRunner({
      "loginctl show-user 1000 -p Display": "Display=c2\n",
      "loginctl show-session c2 -p IdleHint -p IdleSinceHint": `IdleHint=yes\nIdleSinceHint=${since}\n`,
    });
    const source = createIdleSource({ platform: "linux", run, now: () => NOW, env: {}, uid: 1000 });
    expect(await source.idleSeconds()).toBeCloseTo(90, 6);
  });

  it("is unavailable when the user has no graphical session, or without logind", async () => {
    const noDisplay = fakeCommandRunner({ "loginctl show-user 1000 -p Display": "Display=\n" });
    expect(await createIdleSource({ platform: "linux", run: noDisplay, now: () => NOW, env: {}, uid: 1000 }).idleSeconds()).toBeNull();
    const noLogind = fakeCommandRunner({ "loginctl show-user 1000 -p Display": { ok: false, reason: "failed", message: "Failed to connect to bus" } });
    expect(await createIdleSource({ platform: "linux", run: noLogind, now: () => NOW, env: {}, uid: 1000 }).idleSeconds()).toBeNull();
  });
});

describe("X11", () => {
  it("uses xprintidle's milliseconds where a display is set", async () => {
    const run = fakeCommandRunner({ xprintidle: "61500\n" });
    expect(await createIdleSource({ platform: "linux", run, now: () => NOW, env: x11, uid: 1000 }).idleSeconds()).toBe(61.5);
    expect(parseXprintidle("couldn't open display\n")).toBeNull();
  });

  it("falls back to logind when xprintidle is not installed", async () => {
    const run = fakeCommandRunner({
      "loginctl show-user 1000 -p Display": "Display=2\n",
      "loginctl show-session 2 -p IdleHint -p IdleSinceHint": "IdleHint=no\nIdleSinceHint=0\n",
    });
    expect(await createIdleSource({ platform: "linux", run, now: () => NOW, env: x11, uid: 1000 }).idleSeconds()).toBe(0);
    expect(run.calls[0]).toBe("xprintidle");
  });

  it("does not ask X11 in a Wayland session", async () => {
    const run = fakeCommandRunner({ xprintidle: "5000\n" });
    const source = createIdleSource({ platform: "linux", run, now: () => NOW, env: { ...x11, XDG_SESSION_TYPE: "wayland" }, uid: 1000 });
    expect(await source.idleSeconds()).toBeNull();
    expect(run.calls).not.toContain("xprintidle");
  });
});

describe("macOS and Windows", () => {
  it("reads HIDIdleTime (ns) from ioreg on macOS", async () => {
    const output = '+-o IOHIDSystem  <class IOHIDSystem>\n    {\n      "HIDIdleTime" = 42000000000\n    }\n';
    expect(parseIoregIdle(output)).toBe(42);
    const run = fakeCommandRunner({ "ioreg -c IOHIDSystem -d 4 -k HIDIdleTime": output });
    expect(await createIdleSource({ platform: "darwin", run, now: () => NOW }).idleSeconds()).toBe(42);
  });

  it("has no headless idle source on Windows", async () => {
    const run = fakeCommandRunner({});
    expect(await createIdleSource({ platform: "win32", run, now: () => NOW }).idleSeconds()).toBeNull();
    expect(run.calls).toEqual([]);
  });
});
