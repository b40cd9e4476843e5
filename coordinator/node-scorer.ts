/**
 * Picks the node for a job: a pure function of the nodes' snapshots, so routing rules can be
 * tested alone and extended (price, reputation, latency) without touching the network code.
 */

/** What routing knows about one connected node. */
export interface NodeCandidate {
  readonly id: string;
  readonly sharing: boolean;
  readonly models: readonly string[];
  /** Jobs the node says it runs at once. */
  readonly capacity: number;
  /** Jobs this coordinator has running on it now. */
  readonly inFlight: number;
  /** When it last had nothing to do (ms since epoch); a node that is busy keeps its old value. */
  readonly lastIdleAtMs: number;
}

/** True when the node serves `model` at all (it shares, has the model and takes jobs), busy or not. */
export function servesModel(node: NodeCandidate, model: string): boolean {
  return node.sharing && node.models.includes(model) && node.capacity > 0;
}

/** True when the node can take a job for `model` now. */
export function canServe(node: NodeCandidate, model: string): boolean {
  return servesModel(node, model) && node.capacity - node.inFlight > 0;
}

/**
 * Orders two eligible nodes: lower load (in-flight / capacity) first; on a tie the one that
 * became idle most recently (its model is warm and it is evidently responsive); then by id,
 * so the choice is deterministic.
 */
export function compareCandidates(a: NodeCandidate, b: NodeCandidate): number {
  const loadA = a.inFlight / a.capacity;
  const loadB = b.inFlight / b.capacity;
  if (loadA !== loadB) return loadA - loadB;
  if (a.lastIdleAtMs !== b.lastIdleAtMs) return b.lastIdleAtMs - a.lastIdleAtMs;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The best node for `model` among those not in `exclude`, or undefined when none can take it. */
export function pickNode(nodes: readonly NodeCandidate[], model: string, exclude: ReadonlySet<string> = new Set()): NodeCandidate | undefined {
  let best: NodeCandidate | undefined;
  for (const node of nodes) {
    if (exclude.has(node.id) || !canServe(node, model)) continue;
    if (!best || compareCandidates(node, best) < 0) best = node;
  }
  return best;
}
