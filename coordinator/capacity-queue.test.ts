import { describe, expect, it } from "vitest";
import { silentLogger } from "../shared/logger";
import { CapacityQueue, type CapacityWaiter } from "./capacity-queue";

/** A pool of `slots` shared by waiters; `served` says whether any node serves the model at all. */
function pool(slots: number) {
  const state = { free: slots, served: true, started: [] as string[] };
  const waiter = (name: string): CapacityWaiter<string> => ({
    tryStart() {
      if (state.free === 0) return undefined;
      state.free--;
      state.started.push(name);
      return name;
    },
    isServed: () => state.served,
  });
  return { state, waiter };
}

const queue = (maxQueueLength = 8, maxQueueWaitMs = 5_000) => new CapacityQueue({ maxQueueLength, maxQueueWaitMs, logger: silentLogger });

describe("CapacityQueue", () => {
  it("starts waiting jobs first come, first served, one per freed slot", async () => {
    const q = queue();
    const { state, waiter } = pool(0);
    const signal = new AbortController().signal;
    const a = q.wait("m", waiter("a"), signal);
    const b = q.wait("m", waiter("b"), signal);
    const c = q.wait("m", waiter("c"), signal);
    expect(q.length("m")).toBe(3);
    state.free = 1;
    q.wake();
    expect(state.started).toEqual(["a"]);
    expect(await a).toEqual({ kind: "started", value: "a" });
    state.free = 2;
    q.wake();
    expect(await b).toEqual({ kind: "started", value: "b" });
    expect(await c).toEqual({ kind: "started", value: "c" });
    expect(q.length("m")).toBe(0);
  });

  it("refuses a new job when the model's line is full, but never a retry, which goes first", async () => {
    const q = queue(1);
    const { state, waiter } = pool(0);
    const signal = new AbortController().signal;
    const first = q.wait("m", waiter("first"), signal);
    expect(await q.wait("m", waiter("second"), signal)).toEqual({ kind: "full" });
    expect(q.length("other")).toBe(0);
    const retry = q.wait("m", waiter("retry"), signal, true);
    expect(q.length("m")).toBe(2);
    state.free = 1;
    q.wake();
    expect(await retry).toEqual({ kind: "started", value: "retry" });
    state.free = 1;
    q.wake();
    expect(await first).toEqual({ kind: "started", value: "first" });
  });

  it("gives up after the wait limit and leaves the line", async () => {
    const q = queue(8, 50);
    const { waiter } = pool(0);
    const startedAt = Date.now();
    expect(await q.wait("m", waiter("a"), new AbortController().signal)).toEqual({ kind: "expired" });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(45);
    expect(q.length("m")).toBe(0);
  });

  it("removes a job whose consumer went away, so it is never started", async () => {
    const q = queue();
    const { state, waiter } = pool(0);
    const gone = new AbortController();
    const a = q.wait("m", waiter("a"), gone.signal);
    const b = q.wait("m", waiter("b"), new AbortController().signal);
    gone.abort();
    expect(await a).toEqual({ kind: "aborted" });
    state.free = 1;
    q.wake();
    expect(await b).toEqual({ kind: "started", value: "b" });
    expect(state.started).toEqual(["b"]);
  });

  it("ends every wait at once when the model loses its last serving node", async () => {
    const q = queue();
    const { state, waiter } = pool(0);
    const signal = new AbortController().signal;
    const a = q.wait("m", waiter("a"), signal);
    const b = q.wait("m", waiter("b"), signal);
    state.served = false;
    q.wake();
    expect(await a).toEqual({ kind: "unserved" });
    expect(await b).toEqual({ kind: "unserved" });
    expect(q.length("m")).toBe(0);
  });

  it("answers an already aborted consumer without queueing it", async () => {
    const q = queue();
    const gone = new AbortController();
    gone.abort();
    expect(await q.wait("m", pool(0).waiter("a"), gone.signal)).toEqual({ kind: "aborted" });
    expect(q.length("m")).toBe(0);
  });

  it("rejects negative or fractional limits", () => {
    expect(() => queue(-1)).toThrow(RangeError);
    expect(() => queue(1, 1.5)).toThrow(RangeError);
  });
});
