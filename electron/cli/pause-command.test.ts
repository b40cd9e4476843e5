import { describe, expect, it } from "vitest";
import { main } from "./main";
import { parseClockTime, parseDuration, pauseEnd } from "./pause-command";

const MIN = 60_000;
const HOUR = 60 * MIN;

describe("pause durations", () => {
  it.each([
    ["1h", HOUR],
    ["30m", 30 * MIN],
    ["2h30m", 2 * HOUR + 30 * MIN],
    ["90m", 90 * MIN],
    ["1d", 24 * HOUR],
    ["7d", 7 * 24 * HOUR],
    [" 45m ", 45 * MIN],
  ])("%s is %i ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    ["", /duration like 1h/],
    ["1", /duration like 1h/],
    ["h", /duration like 1h/],
    ["1.5h", /duration like 1h/],
    ["-1h", /duration like 1h/],
    ["30m2h", /duration like 1h/],
    ["1 hour", /duration like 1h/],
    ["0m", /longer than zero/],
    ["8d", /at most 7 days/],
    ["169h", /at most 7 days/],
  ])("refuses %j", (text, error) => {
    expect(() => parseDuration(text)).toThrow(error);
  });
});

describe("pause until a local time", () => {
  // 2030-03-14 15:20 local time.
  const now = new Date(2030, 2, 14, 15, 20, 0, 0).getTime();

  it.each([
    ["18:30", new Date(2030, 2, 14, 18, 30).getTime()],
    ["15:21", new Date(2030, 2, 14, 15, 21).getTime()],
    ["15:20", new Date(2030, 2, 15, 15, 20).getTime()],
    ["07:05", new Date(2030, 2, 15, 7, 5).getTime()],
    ["7:05", new Date(2030, 2, 15, 7, 5).getTime()],
    ["00:00", new Date(2030, 2, 15, 0, 0).getTime()],
    ["23:59", new Date(2030, 2, 14, 23, 59).getTime()],
  ])("%s is today or else tomorrow", (text, at) => {
    expect(parseClockTime(text, now)).toBe(at);
  });

  it.each(["24:00", "12:60", "1230", "noon", "12:5", "6pm", ""])("refuses %j", (text) => {
    expect(() => parseClockTime(text, now)).toThrow(/local time like 18:30/);
  });

  it("defaults to one hour and refuses both options at once", () => {
    expect(pauseEnd({}, now)).toBe(now + HOUR);
    expect(pauseEnd({ for: "2h30m" }, now)).toBe(now + 2 * HOUR + 30 * MIN);
    expect(() => pauseEnd({ for: "1h", until: "18:00" }, now)).toThrow(/either --for or --until/);
  });
});

describe("offpeak pause with bad input", () => {
  it("exits 2 with a clear error before looking for a node", async () => {
    const err: string[] = [];
    const io = { out: () => {}, err: (line: string) => err.push(line), stopSignal: new Promise<void>(() => {}) };
    expect(await main(["pause", "--for", "soon", "--data-dir", "/nonexistent/offpeak-test"], io)).toBe(2);
    expect(err.join("\n")).toMatch(/offpeak pause: --for takes a duration like 1h, 30m or 2h30m, got "soon"/);
  });
});
