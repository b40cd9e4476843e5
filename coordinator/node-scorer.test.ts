import { describe, expect, it } from "vitest";
import { canServe, pickNode, type NodeCandidate } from "./node-scorer";

const node = (id: string, over: Partial<NodeCandidate> = {}): NodeCandidate => ({
  id,
  sharing: true,
  models: ["m"],
  capacity: 1,
  inFlight: 0,
  lastIdleAtMs: 1_000,
  ...over,
});

describe("pickNode", () => {
  it("skips nodes that do not share, lack the model or are full", () => {
    const nodes = [node("a", { sharing: false }), node("b", { models: ["other"] }), node("c", { inFlight: 1 }), node("d", { capacity: 0 })];
    expect(pickNode(nodes, "m")).toBeUndefined();
    expect(nodes.map((n) => canServe(n, "m"))).toEqual([false, false, false, false]);
  });

  it("prefers the least loaded node", () => {
    const nodes = [node("busy", { capacity: 4, inFlight: 3 }), node("calm", { capacity: 4, inFlight: 1 })];
    expect(pickNode(nodes, "m")?.id).toBe("calm");
  });

  it("on equal load prefers the most recently idle node", () => {
    const nodes = [node("old", { lastIdleAtMs: 100 }), node("recent", { lastIdleAtMs: 900 })];
    expect(pickNode(nodes, "m")?.id).toBe("recent");
  });

  it("leaves out excluded nodes (already tried)", () => {
    const nodes = [node("a", { lastIdleAtMs: 900 }), node("b", { lastIdleAtMs: 100 })];
    expect(pickNode(nodes, "m", new Set(["a"]))?.id).toBe("b");
    expect(pickNode(nodes, "m", new Set(["a", "b"]))).toBeUndefined();
  });

  it("is deterministic on a full tie", () => {
    expect(pickNode([node("b"), node("a")], "m")?.id).toBe("a");
    expect(pickNode([node("a"), node("b")], "m")?.id).toBe("a");
  });
});
