import { describe, expect, it } from "vitest";
import { TokenBatcher, type BatchTimers } from "./token-batcher";

function manualTimers(): BatchTimers & { fire(): void; pending(): number } {
  let queue: { id: number; callback: () => void }[] = [];
  let next = 1;
  return {
    setTimeout: (callback) => {
      const id = next++;
      queue.push({ id, callback });
      return id;
    },
    clearTimeout: (id) => {
      queue = queue.filter((t) => t.id !== id);
    },
    fire: () => {
      const due = queue;
      queue = [];
      for (const t of due) t.callback();
    },
    pending: () => queue.length,
  };
}

describe("TokenBatcher", () => {
  it("sends the first token at once, then one batch per interval, then the rest on flush", () => {
    const timers = manualTimers();
    const sent: [string, number][] = [];
    const batcher = new TokenBatcher((text, count) => sent.push([text, count]), 16, timers);
    batcher.push("Once", 1);
    expect(sent).toEqual([["Once", 1]]);
    batcher.push(" upon", 1);
    batcher.push(" a", 1);
    expect(sent).toHaveLength(1);
    expect(timers.pending()).toBe(1);
    timers.fire();
    expect(sent).toEqual([["Once", 1], [" upon a", 2]]);
    batcher.push(" time", 1);
    batcher.flush();
    expect(sent).toEqual([["Once", 1], [" upon a", 2], [" time", 1]]);
    expect(timers.pending()).toBe(0);
    batcher.flush();
    expect(sent).toHaveLength(3);
  });
});
