/**
 * Picks the node for a job: a pure function of the nodes' snapshots, so routing rules can be
 * tested alone without the network code. Routing filters first (the node serves the model, is
 * sharing, is not quarantined, has a free slot, can hold the model in memory, asks no more than
 * the consumer's cap) and then scores what is left on throughput (free slots × measured
 * tokens/s), price, reputation and latency.
 */
import { jobCostMicroUsd, type ModelPrice } from "../shared/money";

/** A model as one node offers it. */
export interface CandidateModel {
  readonly id: string;
  /** The node's asking price; without one the node takes the network's list price. */
  readonly price?: ModelPrice;
  /** Bytes of the model file, when the node said. */
  readonly sizeBytes?: number;
}

/** What routing knows about one connected node. */
export interface NodeCandidate {
  readonly id: string;
  readonly sharing: boolean;
  readonly models: readonly CandidateModel[];
  /** Jobs the node says it runs at once. */
  readonly capacity: number;
  /** Jobs this coordinator has running on it now. */
  readonly inFlight: number;
  /** When it last had nothing to do (ms since epoch); a node that is busy keeps its old value. */
  readonly lastIdleAtMs: number;
  /** Memory the node can hold a model in (RAM + VRAM), when it reported it. */
  readonly memoryBytes?: number;
  /** Measured decode rate of its recent jobs; null until it has served one. */
  readonly tokensPerSecond: number | null;
  /** Measured WebSocket round trip; null until the first pong. */
  readonly rttMs: number | null;
  /** 0 (distrusted) … 1 (every check passed); see reputation.ts. */
  readonly reputation: number;
  /** Set while verification keeps the node out of routing. */
  readonly quarantined: boolean;
}

/** What one job asks of routing. */
export interface RouteRequest {
  readonly model: string;
  /** The network's list price of the model: what a node without an asking price charges. */
  readonly listPrice: ModelPrice;
  /** The most the consumer pays per million tokens (defaults to the list price). */
  readonly maxPrice: ModelPrice;
  /** Expected size of the job, to compare asking prices as costs of this very job. */
  readonly promptTokens: number;
  readonly maxTokens: number;
  /** Nodes already tried for this job. */
  readonly exclude?: ReadonlySet<string>;
  /** Round trips within this much of the best count as equal (default 50 ms). */
  readonly latencyToleranceMs?: number;
}

/** How much each quality counts in a node's score (they add up to 1). */
export const SCORE_WEIGHTS = { throughput: 0.4, price: 0.25, reputation: 0.2, latency: 0.15 } as const;
/** Round trips within this much of the best one count as equal: jitter decides nothing. */
export const LATENCY_TOLERANCE_MS = 50;
/** Beyond the tolerance, a node this much slower to answer scores half on latency. */
const LATENCY_HALF_MS = 100;
/** Scores closer than this are a tie (decided by idle time, then id). */
const SCORE_EPSILON = 1e-9;

/** The model entry of `node` for `model`, if it offers it. */
export function modelOf(node: NodeCandidate, model: string): CandidateModel | undefined {
  return node.models.find((m) => m.id === model);
}

/** What `node` charges for `model`: its own asking price, or the list price. */
export function askingPrice(node: NodeCandidate, model: string, listPrice: ModelPrice): ModelPrice {
  return modelOf(node, model)?.price ?? listPrice;
}

/** True when `price` is at or below `cap` on both input and output. */
export function withinPrice(price: ModelPrice, cap: ModelPrice): boolean {
  return price.inputMicroUsdPerMTok <= cap.inputMicroUsdPerMTok && price.outputMicroUsdPerMTok <= cap.outputMicroUsdPerMTok;
}

/**
 * True when the node serves `model` at all (it shares, is not quarantined, has the model, takes
 * jobs and can hold the model in memory), busy or not and at whatever price.
 */
export function servesModel(node: NodeCandidate, model: string): boolean {
  const entry = modelOf(node, model);
  if (!entry || !node.sharing || node.quarantined || node.capacity <= 0) return false;
  return entry.sizeBytes === undefined || node.memoryBytes === undefined || entry.sizeBytes <= node.memoryBytes;
}

/** True when the node serves the request's model within its price cap, busy or not. */
export function servesRequest(node: NodeCandidate, req: RouteRequest): boolean {
  return servesModel(node, req.model) && withinPrice(askingPrice(node, req.model, req.listPrice), req.maxPrice);
}

/** True when the node can take the job now: it serves the request and has a free slot. */
export function canServe(node: NodeCandidate, req: RouteRequest): boolean {
  return !req.exclude?.has(node.id) && servesRequest(node, req) && node.capacity - node.inFlight > 0;
}

/** A node's score and its parts, each in 0…1. */
export interface ScoredNode {
  readonly node: NodeCandidate;
  readonly score: number;
  readonly parts: { readonly throughput: number; readonly price: number; readonly reputation: number; readonly latency: number };
}

function median(values: Float64Array): number {
  // A typed array sorts numerically, without a comparator call per comparison.
  const sorted = values.sort();
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** What a node's score is relative to: the eligible nodes' typical and best speed, cost and round trip. */
interface ScoreContext {
  readonly req: RouteRequest;
  readonly typicalSpeed: number;
  readonly maxSpeed: number;
  readonly minCost: number;
  readonly typicalRtt: number;
  readonly minRtt: number;
  /** A job's worst-case cost at each asking price (nodes share price objects: most ask the list price). */
  readonly costs: Map<ModelPrice, number>;
}

function costAt(req: RouteRequest, costs: Map<ModelPrice, number>, node: NodeCandidate): number {
  const price = askingPrice(node, req.model, req.listPrice);
  let cost = costs.get(price);
  if (cost === undefined) costs.set(price, (cost = jobCostMicroUsd(price, req.promptTokens, req.maxTokens)));
  return cost;
}

/** The eligible nodes' figures every score is relative to (null when none is eligible). */
function scoreContext(eligible: readonly NodeCandidate[], req: RouteRequest): ScoreContext | null {
  if (eligible.length === 0) return null;
  const costs = new Map<ModelPrice, number>();
  const speeds = new Float64Array(eligible.length);
  const rtts = new Float64Array(eligible.length);
  let nSpeeds = 0;
  let nRtts = 0;
  let maxSpeed = 0;
  let minCost = Infinity;
  let minRtt = Infinity;
  for (const n of eligible) {
    if (n.tokensPerSecond !== null && n.tokensPerSecond > 0) {
      speeds[nSpeeds++] = n.tokensPerSecond;
      if (n.tokensPerSecond > maxSpeed) maxSpeed = n.tokensPerSecond;
    }
    if (n.rttMs !== null) {
      rtts[nRtts++] = n.rttMs;
      if (n.rttMs < minRtt) minRtt = n.rttMs;
    }
    minCost = Math.min(minCost, costAt(req, costs, n));
  }
  return {
    req,
    costs,
    typicalSpeed: nSpeeds > 0 ? median(speeds.subarray(0, nSpeeds)) : 1,
    maxSpeed: nSpeeds > 0 ? maxSpeed : 1,
    minCost,
    typicalRtt: nRtts > 0 ? median(rtts.subarray(0, nRtts)) : 0,
    minRtt: nRtts > 0 ? minRtt : 0,
  };
}

/** A node's score parts, each in 0…1. */
function partsOf(node: NodeCandidate, ctx: ScoreContext): ScoredNode["parts"] {
  const free = (node.capacity - node.inFlight) / node.capacity;
  const speed = node.tokensPerSecond !== null && node.tokensPerSecond > 0 ? node.tokensPerSecond : ctx.typicalSpeed;
  const c = costAt(ctx.req, ctx.costs, node);
  const excess = Math.max(0, (node.rttMs ?? ctx.typicalRtt) - ctx.minRtt - (ctx.req.latencyToleranceMs ?? LATENCY_TOLERANCE_MS));
  return {
    throughput: free * (speed / ctx.maxSpeed),
    price: c === 0 ? 1 : ctx.minCost / c,
    reputation: Math.min(1, Math.max(0, node.reputation)),
    latency: LATENCY_HALF_MS / (LATENCY_HALF_MS + excess),
  };
}

function scored(node: NodeCandidate, ctx: ScoreContext): ScoredNode {
  const parts = partsOf(node, ctx);
  const score =
    SCORE_WEIGHTS.throughput * parts.throughput + SCORE_WEIGHTS.price * parts.price + SCORE_WEIGHTS.reputation * parts.reputation + SCORE_WEIGHTS.latency * parts.latency;
  return { node, score, parts };
}

/** The nodes that can take the job and what their scores are relative to (null when none can). */
function eligibleOf(nodes: readonly NodeCandidate[], req: RouteRequest): { eligible: NodeCandidate[]; ctx: ScoreContext } | null {
  const eligible = nodes.filter((n) => canServe(n, req));
  const ctx = scoreContext(eligible, req);
  return ctx ? { eligible, ctx } : null;
}

/**
 * Scores every node that can take the job, best first. Speed, price and latency are relative to
 * the other eligible nodes; a node not measured yet counts as the median node (so a newcomer
 * gets work). Round trips within a few tens of milliseconds of the best count as equal.
 */
export function rankNodes(nodes: readonly NodeCandidate[], req: RouteRequest): ScoredNode[] {
  const found = eligibleOf(nodes, req);
  return found ? found.eligible.map((node) => scored(node, found.ctx)).sort(compareScored) : [];
}

/**
 * Orders two scored nodes: higher score first; on a tie the one that became idle most recently
 * (its model is warm and it is evidently responsive); then by id, so the choice is deterministic.
 */
function compareScored(a: ScoredNode, b: ScoredNode): number {
  if (Math.abs(a.score - b.score) > SCORE_EPSILON) return b.score - a.score;
  if (a.node.lastIdleAtMs !== b.node.lastIdleAtMs) return b.node.lastIdleAtMs - a.node.lastIdleAtMs;
  return a.node.id < b.node.id ? -1 : a.node.id > b.node.id ? 1 : 0;
}

/** The best node for the job, or undefined when none can take it now. */
export function pickNode(nodes: readonly NodeCandidate[], req: RouteRequest): NodeCandidate | undefined {
  // One pass for the first of the ranking, without sorting every node (this runs per job).
  const found = eligibleOf(nodes, req);
  if (!found) return undefined;
  let best: ScoredNode | undefined;
  for (const node of found.eligible) {
    const s = scored(node, found.ctx);
    if (!best || compareScored(s, best) < 0) best = s;
  }
  return best?.node;
}
