/**
 * Runs one consumer job on the network: picks a node (waiting in line, bounded, when every node
 * serving the model is busy), sends the job and relays its tokens. A node that fails before its
 * first token is replaced invisibly; one that breaks off mid-answer is replaced too, the next
 * node continuing the answer from the prompt and the text already sent (failover.ts), so the
 * consumer's stream carries on. The job then closes in the ledger: settled from the parts'
 * verified receipts, or released (nobody charged, nobody credited).
 */
import type { FinishReason, JobInput, Receipt, Sampling } from "../shared/protocol";
import type { ModelPrice } from "../shared/money";
import type { NodeHub } from "./node-hub";
import { askingPrice, pickNode, servesModel, servesRequest, withinPrice, type RouteRequest } from "./node-scorer";
import type { CapacityQueue } from "./capacity-queue";
import { describeEnd, runAttempt, type AttemptEnd, type Part } from "./job-attempt";
import { settleJobParts, type FinishedPart, type SettlementDeps } from "./job-settlement";
import { continuationOf, mayContinue, MAX_PARTS } from "./failover";
import { retryOnConnectionLoss } from "./db-retry";
import { brokenOff, consumerGone, failureOutcome, noCapacity, noNodeWithinPrice, queueFull, type JobOutcome } from "./job-outcomes";

export { RETRY_AFTER_SECONDS, type JobOutcome } from "./job-outcomes";

/** A job, already validated and reserved for. */
export interface JobSpec {
  readonly jobId: string;
  readonly model: string;
  readonly input: JobInput;
  readonly sampling: Sampling;
  readonly promptTokenBound: number;
  /** The model's list price, and the most the consumer pays (defaults to the list price). */
  readonly listPrice: ModelPrice;
  readonly maxPrice: ModelPrice;
}

/** What happened to a job, for reputation, verification and metrics. */
export interface DispatchEvents {
  /** An attempt on a node ended (`tokens` streamed by it). */
  onAttemptEnd?(address: string, end: AttemptEnd["kind"], tokens: number): void;
  /** A node streamed `tokens` tokens in `seconds` from its first token to its last. */
  onDecodeMeasured?(address: string, tokens: number, seconds: number): void;
  /** A job ended with an answer; `parts` are those that streamed tokens. */
  onAnswered?(job: { spec: JobSpec; parts: readonly FinishedPart[]; billedParts: number }): void;
  /** The answer continued on another node after its first one broke off. */
  onFailover?(jobId: string, fromAddress: string): void;
}

/** What the dispatcher works with. */
export interface DispatcherDeps extends SettlementDeps {
  readonly hub: Pick<NodeHub, "candidates" | "addressOf" | "assign" | "release" | "send">;
  readonly dispatchTimeoutMs: number;
  readonly cancelGraceMs: number;
  /** Round trips within this much of the best count as equal when choosing a node. */
  readonly latencyToleranceMs?: number;
  /** Nodes a job tries before its first token. */
  readonly maxAttempts: number;
  readonly queue: Pick<CapacityQueue, "wait">;
  readonly events?: DispatchEvents;
}

interface Started {
  readonly part: Part;
  readonly ended: Promise<AttemptEnd>;
}

/** The receipt an attempt ended with, if any. */
function receiptOf(end: AttemptEnd): Receipt | undefined {
  return end.kind === "done" || end.kind === "failed" ? end.receipt : undefined;
}

/**
 * Runs the job to its end. `onText` receives each piece of output as it arrives (only while
 * the consumer is there); `signal` aborts when the consumer goes away, which cancels the job
 * on the node and bills only what it produced.
 */
export async function runJob(deps: DispatcherDeps, spec: JobSpec, onText: (text: string) => void, signal: AbortSignal): Promise<JobOutcome> {
  const log = deps.logger;
  const tried = new Set<string>();
  const finished: FinishedPart[] = [];
  const sent = { text: "", tokens: 0 };

  const release = async (status: "failed" | "disputed" | "abandoned", detail: string, address?: string) => {
    try {
      // Retried over a lost connection: a reservation left behind would hold the consumer's credit.
      await retryOnConnectionLoss(() => deps.ledger.releaseJob(spec.jobId, status, detail, address));
    } catch (err) {
      log.error("could not release a job's reservation", { jobId: spec.jobId, error: String(err) });
    }
  };
  const answer = async (finishReason: FinishReason): Promise<JobOutcome> => {
    const settlement = await settleJobParts(deps, spec.jobId, spec.model, finished);
    deps.events?.onAnswered?.({ spec, parts: finished, billedParts: settlement.billed.length });
    return { ok: true, text: sent.text, finishReason, promptTokens: settlement.promptTokens, completionTokens: sent.tokens };
  };

  // The next part: the whole job, or the continuation of what was already sent.
  const nextPart = () => continuationOf(spec, finished.length, sent);
  const route = (): RouteRequest => {
    const next = nextPart();
    return { model: spec.model, listPrice: spec.listPrice, maxPrice: spec.maxPrice, promptTokens: next.promptTokenBound, maxTokens: next.sampling.maxTokens, exclude: tried, latencyToleranceMs: deps.latencyToleranceMs };
  };
  // Picking a node and sending it the job happen in one synchronous step (here or inside the
  // queue's wake), so no other job can take the slot in between.
  const start = (): Started | undefined => {
    const request = route();
    const node = pickNode(deps.hub.candidates(), request);
    if (!node) return undefined;
    tried.add(node.id);
    const next = nextPart();
    const address = deps.hub.addressOf(node.id) ?? "";
    const part: Part = { ...next, nodeId: node.id, address, price: askingPrice(node, spec.model, spec.listPrice), text: "", tokens: 0, firstTokenAt: null, lastTokenAt: null };
    log.info("job dispatched", { jobId: spec.jobId, model: spec.model, node: node.id, address, attempt: tried.size, part: part.index });
    return { part, ended: runAttempt(deps, spec.model, part, onText, signal) };
  };
  const isServed = () => deps.hub.candidates().some((n) => !tried.has(n.id) && servesRequest(n, route()));

  let gaveUp: "unserved" | "full" | "expired" = "unserved";
  let attemptsBeforeFirstToken = 0;
  while (attemptsBeforeFirstToken < deps.maxAttempts && finished.length < MAX_PARTS) {
    if (signal.aborted) break;
    let started = start();
    if (!started) {
      if (!isServed()) break;
      const retry = tried.size > 0;
      log.info("every node serving the model is busy; job waits", { jobId: spec.jobId, model: spec.model, retry });
      const waited = await deps.queue.wait(spec.model, { tryStart: start, isServed }, signal, retry);
      if (waited.kind !== "started") {
        if (waited.kind !== "aborted") gaveUp = waited.kind;
        log.info("job left the wait for capacity", { jobId: spec.jobId, model: spec.model, reason: waited.kind });
        break;
      }
      started = waited.value;
    }
    const { part } = started;
    const end = await started.ended;
    deps.events?.onAttemptEnd?.(part.address, end.kind, part.tokens);
    if (part.tokens > 1 && part.firstTokenAt !== null && part.lastTokenAt !== null && part.lastTokenAt > part.firstTokenAt) {
      deps.events?.onDecodeMeasured?.(part.address, part.tokens - 1, (part.lastTokenAt - part.firstTokenAt) / 1000);
    }
    if (part.tokens > 0) {
      finished.push({ part, receipt: receiptOf(end), finishReason: end.kind === "done" ? end.finishReason : "cancelled" });
      sent.text += part.text;
      sent.tokens += part.tokens;
    } else {
      attemptsBeforeFirstToken++;
    }
    if (end.kind === "done") return answer(end.finishReason);
    if (end.kind === "abandoned") {
      await release("abandoned", "node did not confirm the cancel", part.address);
      return consumerGone();
    }
    log.warn("job attempt ended without an answer", { jobId: spec.jobId, node: part.nodeId, reason: end.kind === "failed" ? end.code : end.kind, tokens: part.tokens });
    if (sent.tokens > 0) {
      // The consumer already has part of the answer: it goes on elsewhere, or ends here.
      if (sent.tokens >= spec.sampling.maxTokens) return answer("length");
      if (signal.aborted) return answer("cancelled");
      if (!mayContinue(end)) break;
      if (part.tokens > 0) {
        deps.events?.onFailover?.(spec.jobId, part.address);
        log.info("answer continues on another node", { jobId: spec.jobId, from: part.address, tokensSoFar: sent.tokens });
      }
      continue;
    }
    if (end.kind === "failed" && !end.retryable) {
      await release("failed", describeEnd(end), part.address);
      return failureOutcome(spec.input, end.code, end.message);
    }
  }
  if (signal.aborted) {
    if (finished.some((f) => f.receipt)) return answer("cancelled");
    await release("abandoned", "consumer went away");
    return consumerGone();
  }
  if (sent.tokens > 0) {
    await release("failed", `broke off after ${sent.tokens} tokens and no node could continue it`, finished.at(-1)?.part.address);
    return brokenOff();
  }
  const why = { unserved: "no node could serve it", full: "too many requests waiting for the model", expired: "no node had room in time" }[gaveUp];
  await release("failed", why);
  if (gaveUp === "full") return queueFull(spec.model);
  // The price cap is to blame only when a node serving the model asks more than it: a node that
  // merely was not tried (it logged in again meanwhile, or the attempts ran out) is capacity.
  const pricedOut = gaveUp === "unserved" && deps.hub.candidates().some((n) => servesModel(n, spec.model) && !withinPrice(askingPrice(n, spec.model, spec.listPrice), spec.maxPrice));
  return pricedOut ? noNodeWithinPrice(spec.model) : noCapacity();
}
