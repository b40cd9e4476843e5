import { describe, expect, it } from "vitest";
import { GroupCommit } from "./group-commit";

/** A writer that records each batch and answers after a turn of the event loop, like a database. */
function recordingWriter(answer: (item: number) => number | Error = (n) => n * 10) {
  const batches: number[][] = [];
  const write = async (items: readonly number[]) => {
    batches.push([...items]);
    await new Promise((r) => setImmediate(r));
    return items.map(answer);
  };
  return { batches, write };
}

describe("GroupCommit", () => {
  it("writes what was handed in during one turn together, and what arrives during a write in the next", async () => {
    const w = recordingWriter();
    const group = new GroupCommit(w.write, 256, Infinity);
    const first = [1, 2].map((n) => group.submit(n));
    // Nothing is written in the turn the items arrive: other messages of that turn may join.
    expect(w.batches).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(w.batches).toEqual([[1, 2]]);
    // Handed in while the first write is in flight: they wait for it and go in one write.
    const rest = [3, 4, 5].map((n) => group.submit(n));
    expect(await Promise.all([...first, ...rest])).toEqual([10, 20, 30, 40, 50]);
    expect(w.batches).toEqual([[1, 2], [3, 4, 5]]);
    expect(group.stats()).toEqual({ batches: 2, items: 5 });
    expect(await group.submit(6)).toBe(60);
    expect(w.batches.at(-1)).toEqual([6]);
  });

  it("writes at once when idle, and waits a turn for company when it wrote a moment ago", async () => {
    const w = recordingWriter();
    const group = new GroupCommit(w.write, 256, 60_000);
    const first = group.submit(1);
    // Idle: the write starts within submit, before anything else can join it.
    expect(w.batches).toEqual([[1]]);
    const during = [2, 3].map((n) => group.submit(n));
    expect(await Promise.all([first, ...during])).toEqual([10, 20, 30]);
    expect(w.batches).toEqual([[1], [2, 3]]);
    // A write ended a moment ago: the coordinator is busy, so the next item waits for the turn.
    const later = [4, 5].map((n) => group.submit(n));
    expect(w.batches).toHaveLength(2);
    expect(await Promise.all(later)).toEqual([40, 50]);
    expect(w.batches.at(-1)).toEqual([4, 5]);
  });

  it("caps a write at maxBatch items", async () => {
    const w = recordingWriter();
    const group = new GroupCommit(w.write, 3, Infinity);
    await Promise.all(Array.from({ length: 8 }, (_, i) => group.submit(i)));
    expect(w.batches.map((b) => b.length)).toEqual([3, 3, 2]);
    expect(() => new GroupCommit(w.write, 0)).toThrow(/maxBatch/);
    expect(() => new GroupCommit(w.write, 1, -1)).toThrow(/idleMs/);
  });

  it("fails only the item whose result is an Error", async () => {
    const w = recordingWriter((n) => (n === 3 ? new Error("three is refused") : n));
    const group = new GroupCommit(w.write);
    const results = await Promise.allSettled([1, 2, 3, 4].map((n) => group.submit(n)));
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
    expect((results[2] as PromiseRejectedResult).reason).toEqual(new Error("three is refused"));
  });

  it("writes each item alone after a write of several throws, so only the bad one fails", async () => {
    const batches: number[][] = [];
    const group = new GroupCommit(async (items: readonly number[]) => {
      batches.push([...items]);
      await new Promise((r) => setImmediate(r));
      if (items.includes(3)) throw new Error("constraint broken by 3");
      return items.map((n) => n);
    }, 256, Infinity);
    const results = await Promise.allSettled([1, 2, 3, 4].map((n) => group.submit(n)));
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).message))).toEqual([1, 2, "constraint broken by 3", 4]);
    expect(batches).toEqual([[1, 2, 3, 4], [1], [2], [3], [4]]);
  });

  it("fails the whole batch on a lost connection (callers retry), and keeps serving afterwards", async () => {
    let down = true;
    const group = new GroupCommit(async (items: readonly number[]) => {
      await new Promise((r) => setImmediate(r));
      if (down) throw Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" });
      return items.map((n) => n);
    }, 256, Infinity);
    const results = await Promise.allSettled([group.submit(0), group.submit(1), group.submit(2)]);
    expect(results.every((r) => r.status === "rejected" && (r.reason as { code?: string }).code === "57P01")).toBe(true);
    expect(group.stats()).toEqual({ batches: 1, items: 3 });
    down = false;
    expect(await group.submit(7)).toBe(7);
  });

  it("refuses a writer that answers with the wrong number of results", async () => {
    const group = new GroupCommit(async () => [] as number[]);
    await expect(group.submit(1)).rejects.toThrow(/0 results for 1 items/);
  });
});
