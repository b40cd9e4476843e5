import { describe, expect, it } from "vitest";
import { StopSequenceFilter } from "./stop-sequence-filter";

function run(stops: string[], chunks: string[]): { out: [string, number][]; stopped: boolean } {
  const out: [string, number][] = [];
  const filter = new StopSequenceFilter(stops, (text, count) => out.push([text, count]));
  for (const chunk of chunks) if (filter.push(chunk, 1)) break;
  filter.flush();
  return { out, stopped: filter.stopped };
}

describe("StopSequenceFilter", () => {
  it("passes text straight through without stop sequences", () => {
    expect(run([], ["a", "b"]).out).toEqual([["a", 1], ["b", 1]]);
  });

  it("cuts right before a stop sequence that starts inside a token", () => {
    const { out, stopped } = run(["Lily"], [",", " there", " named", " Lily", " was"]);
    expect(stopped).toBe(true);
    expect(out.map(([t]) => t).join("")).toBe(", there named ");
    expect(out.reduce((n, [, c]) => n + c, 0)).toBe(4);
  });

  it("holds back a possible start of a stop sequence and releases it when it is not one", () => {
    const { out, stopped } = run(["\n\nEND"], ["one", "\n", "\n", "two"]);
    expect(stopped).toBe(false);
    expect(out.map(([t]) => t).join("")).toBe("one\n\ntwo");
    expect(out.reduce((n, [, c]) => n + c, 0)).toBe(4);
    expect(out.every(([, c]) => c >= 1)).toBe(true);
  });

  it("finds a stop sequence spread over several tokens and picks the earliest of several", () => {
    expect(run(["END", "x"], ["ab", "E", "N", "D", "x"]).out.map(([t]) => t).join("")).toBe("ab");
    expect(run(["cd", "b"], ["abcd"]).out).toEqual([["a", 1]]);
  });

  it("sends held text at the end when the stream stops first", () => {
    const { out } = run(["STOP"], ["go", "ST"]);
    expect(out.map(([t]) => t).join("")).toBe("goST");
    expect(out.reduce((n, [, c]) => n + c, 0)).toBe(2);
  });
});
