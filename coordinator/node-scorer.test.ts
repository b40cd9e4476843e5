import { describe, expect, it } from "vitest";
import type { ModelPrice } from "../shared/money";
import { canServe, pickNode, rankNodes, servesModel, type NodeCandidate, type RouteRequest } from "./node-scorer";

const LIST: ModelPrice = { inputMicroUsdPerMTok: 100_000, outputMicroUsdPerMTok: 200_000 };
const GiB = 2 ** 30;

const node = (id: string, over: Partial<NodeCandidate> = {}): NodeCandidate => ({
  id,
  sharing: true,
  models: [{ id: "m" }],
  capacity: 1,
  inFlight: 0,
  lastIdleAtMs: 1_000,
  tokensPerSecond: null,
  rttMs: null,
  reputation: 1,
  quarantined: false,
  ...over,
});

const request = (over: Partial<RouteRequest> = {}): RouteRequest => ({
  model: "m",
  listPrice: LIST,
  maxPrice: LIST,
  promptTokens: 100,
  maxTokens: 100,
  ...over,
});

const priced = (input: number, output: number) => [{ id: "m", price: { inputMicroUsdPerMTok: input, outputMicroUsdPerMTok: output } }];

describe("filter", () => {
  const cases: { name: string; node: NodeCandidate; req?: Partial<RouteRequest>; eligible: boolean }[] = [
    { name: "a plain sharing node with the model", node: node("a"), eligible: true },
    { name: "not sharing", node: node("a", { sharing: false }), eligible: false },
    { name: "another model", node: node("a", { models: [{ id: "other" }] }), eligible: false },
    { name: "full", node: node("a", { inFlight: 1 }), eligible: false },
    { name: "capacity 0", node: node("a", { capacity: 0 }), eligible: false },
    { name: "quarantined", node: node("a", { quarantined: true }), eligible: false },
    { name: "model larger than its memory", node: node("a", { models: [{ id: "m", sizeBytes: 9 * GiB }], memoryBytes: 8 * GiB }), eligible: false },
    { name: "model that fits its memory", node: node("a", { models: [{ id: "m", sizeBytes: 4 * GiB }], memoryBytes: 8 * GiB }), eligible: true },
    { name: "memory not reported", node: node("a", { models: [{ id: "m", sizeBytes: 4 * GiB }] }), eligible: true },
    { name: "asks above the list price, no cap given", node: node("a", { models: priced(100_000, 300_000) }), eligible: false },
    { name: "asks above the list price, cap covers it", node: node("a", { models: priced(100_000, 300_000) }), req: { maxPrice: { inputMicroUsdPerMTok: 100_000, outputMicroUsdPerMTok: 300_000 } }, eligible: true },
    { name: "no asking price, cap below the list price", node: node("a"), req: { maxPrice: { inputMicroUsdPerMTok: 50_000, outputMicroUsdPerMTok: 200_000 } }, eligible: false },
    { name: "asks below a cap that is below the list price", node: node("a", { models: priced(10_000, 20_000) }), req: { maxPrice: { inputMicroUsdPerMTok: 50_000, outputMicroUsdPerMTok: 50_000 } }, eligible: true },
    { name: "already tried", node: node("a"), req: { exclude: new Set(["a"]) }, eligible: false },
  ];
  for (const c of cases) {
    it(`${c.eligible ? "keeps" : "drops"} ${c.name}`, () => {
      const req = request(c.req);
      expect(canServe(c.node, req)).toBe(c.eligible);
      expect(pickNode([c.node], req)?.id).toBe(c.eligible ? "a" : undefined);
    });
  }

  it("counts a busy node as serving the model (it may free a slot) but not a quarantined one", () => {
    expect(servesModel(node("a", { inFlight: 1 }), "m")).toBe(true);
    expect(servesModel(node("a", { quarantined: true }), "m")).toBe(false);
  });
});

describe("score", () => {
  const cases: { name: string; nodes: NodeCandidate[]; req?: Partial<RouteRequest>; winner: string }[] = [
    { name: "least loaded", nodes: [node("busy", { capacity: 4, inFlight: 3 }), node("calm", { capacity: 4, inFlight: 1 })], winner: "calm" },
    { name: "most recently idle on a full tie", nodes: [node("old", { lastIdleAtMs: 100 }), node("recent", { lastIdleAtMs: 900 })], winner: "recent" },
    { name: "lowest id on a full tie", nodes: [node("b"), node("a")], winner: "a" },
    { name: "faster measured decode rate", nodes: [node("slow", { tokensPerSecond: 20 }), node("fast", { tokensPerSecond: 80 })], winner: "fast" },
    {
      name: "a fast node even when half busy, over an idle node four times slower",
      nodes: [node("fast", { capacity: 2, inFlight: 1, tokensPerSecond: 100 }), node("idle-slow", { capacity: 2, tokensPerSecond: 25 })],
      winner: "fast",
    },
    { name: "cheaper asking price", nodes: [node("list"), node("cheap", { models: priced(50_000, 100_000) })], winner: "cheap" },
    { name: "better reputation", nodes: [node("doubted", { reputation: 0.4 }), node("trusted", { reputation: 0.95 })], winner: "trusted" },
    { name: "lower round trip", nodes: [node("far", { rttMs: 250 }), node("near", { rttMs: 5 })], winner: "near" },
    { name: "a node not measured yet (the median round trip) over a far one", nodes: [node("far", { rttMs: 250 }), node("unknown"), node("mid", { rttMs: 40, capacity: 2, inFlight: 1 })], winner: "unknown" },
    { name: "the most recently idle node when round trips differ by jitter only", nodes: [node("a", { rttMs: 0.3, lastIdleAtMs: 5 }), node("b", { rttMs: 45, lastIdleAtMs: 9 })], winner: "b" },
    {
      name: "speed over a small price difference",
      nodes: [node("fast", { tokensPerSecond: 100 }), node("slow-cheap", { tokensPerSecond: 10, models: priced(90_000, 180_000) })],
      winner: "fast",
    },
    {
      name: "a much cheaper node of similar speed",
      nodes: [node("fast", { tokensPerSecond: 100 }), node("cheap", { tokensPerSecond: 90, models: priced(20_000, 40_000) })],
      winner: "cheap",
    },
    {
      name: "a newcomer (speed unknown) counted as the median node, beating a slow one",
      nodes: [node("slow", { tokensPerSecond: 10 }), node("new"), node("fast", { tokensPerSecond: 100, inFlight: 1, capacity: 1 })],
      winner: "new",
    },
  ];
  for (const c of cases) {
    it(`prefers ${c.name}`, () => {
      expect(pickNode(c.nodes, request(c.req))?.id).toBe(c.winner);
      expect(pickNode([...c.nodes].reverse(), request(c.req))?.id).toBe(c.winner);
    });
  }

  it("keeps every part of the score within 0…1 and ranks every eligible node", () => {
    const nodes = [
      node("a", { tokensPerSecond: 50, rttMs: 3, reputation: 0.7 }),
      node("b", { capacity: 3, inFlight: 1, rttMs: 40, models: priced(0, 0) }),
      node("c", { sharing: false }),
    ];
    const ranked = rankNodes(nodes, request());
    expect(ranked.map((r) => r.node.id).sort()).toEqual(["a", "b"]);
    for (const r of ranked) {
      for (const value of Object.values(r.parts)) {
        expect(value).toBeGreaterThanOrEqual(0);
        expect(value).toBeLessThanOrEqual(1);
      }
      expect(r.score).toBeGreaterThan(0);
      expect(r.score).toBeLessThanOrEqual(1);
    }
  });
});
