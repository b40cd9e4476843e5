/**
 * Runs one consumer job on the network: picks a node (waiting in line, bounded, when every node
 * serving the model is busy), sends the job, relays its tokens, retries on another node when it
 * fails before the first token, and closes the job in the ledger — settled from a verified
 * receipt, or released (nobody charged, nobody credited).
 */
import type { FinishReason, JobFailureCode, JobInput, Receipt, Sampling } from "../shared/protocol";
import { jobCostMicroUsd, type ModelPrice } from "../shared/money";
import type { Logger } from "../shared/logger";
import type { Ledger } from "./ledger";
import type { NodeHub, NodeJobListener } from "./node-hub";
import { pickNode, servesModel } from "./node-scorer";
import type { CapacityQueue } from "./capacity-queue";
import { checkReceipt } from "./receipt-check";
import { errorBody, type OpenAiError } from "./openai-format";

/** A job, already validated and reserved for. */
export interface JobSpec {
  readonly jobId: string;
  readonly model: string;
  readonly input: JobInput;
  readonly sampling: Sampling;
  readonly promptTokenBound: number;
}

/** What the dispatcher works with. */
export interface DispatcherDeps {
  readonly hub: Pick<NodeHub, "candidates" | "addressOf" | "assign" | "release" | "send">;
  readonly ledger: Pick<Ledger, "settleJob" | "releaseJob">;
  readonly logger: Logger;
  price(model: string): ModelPrice;
  readonly feeBps: number;
  /** Time a node has to produce its first token before the job goes elsewhere. */
  readonly dispatchTimeoutMs: number;
  /** Time a node has to confirm a cancel with `done` before the job is closed without pay. */
  readonly cancelGraceMs: number;
  readonly maxAttempts: number;
  /** Where a job waits when every node serving its model is busy. */
  readonly queue: Pick<CapacityQueue, "wait">;
}

/** How a job ended, for the consumer. */
export type JobOutcome =
  | { readonly ok: true; readonly text: string; readonly finishReason: FinishReason; readonly promptTokens: number; readonly completionTokens: number }
  | { readonly ok: false; readonly status: number; readonly error: OpenAiError; readonly retryAfterSeconds?: number };

interface Started {
  readonly nodeId: string;
  readonly address: string;
  readonly ended: Promise<AttemptEnd>;
}

type AttemptEnd =
  | { kind: "done"; finishReason: FinishReason; receipt: Receipt }
  | { kind: "failed"; code: JobFailureCode; message: string; retryable: boolean }
  | { kind: "dropped" }
  | { kind: "timeout" }
  | { kind: "abandoned" };

/** Seconds a consumer is told to wait when no node can take its job. */
export const RETRY_AFTER_SECONDS = 5;

const noCapacity = (): JobOutcome => ({
  ok: false,
  status: 503,
  error: errorBody("No node can serve this model right now; try again shortly.", "server_error", "no_capacity"),
  retryAfterSeconds: RETRY_AFTER_SECONDS,
});

const queueFull = (model: string): JobOutcome => ({
  ok: false,
  status: 429,
  error: errorBody(`Every node serving '${model}' is busy and too many requests are already waiting for it; try again shortly.`, "requests", "rate_limit_exceeded"),
  retryAfterSeconds: RETRY_AFTER_SECONDS,
});

const brokenOff = (): JobOutcome => ({
  ok: false,
  status: 502,
  error: errorBody("The node serving this request stopped before the answer was complete; you were not charged.", "server_error", "node_failed"),
});

const consumerGone = (): JobOutcome => ({ ok: false, status: 499, error: errorBody("The request was cancelled.", "invalid_request_error", "cancelled") });

function failureOutcome(spec: JobSpec, code: JobFailureCode, message: string): JobOutcome {
  const param = spec.input.kind === "chat" ? "messages" : "prompt";
  if (code === "context_length_exceeded") {
    return {
      ok: false,
      status: 400,
      error: errorBody(`The prompt is longer than this model's context: ${message}`, "invalid_request_error", "context_length_exceeded", param),
    };
  }
  if (code === "invalid_request") return { ok: false, status: 400, error: errorBody(`The node refused the request: ${message}`, "invalid_request_error", "invalid_request") };
  return { ok: false, status: 502, error: errorBody(`The node could not run the request (${code}); you were not charged.`, "server_error", code) };
}

/**
 * Runs the job to its end. `onText` receives each piece of output as it arrives (only while
 * the consumer is there); `signal` aborts when the consumer goes away, which cancels the job
 * on the node and bills only what it produced.
 */
export async function runJob(deps: DispatcherDeps, spec: JobSpec, onText: (text: string) => void, signal: AbortSignal): Promise<JobOutcome> {
  const relayed = { text: "", tokens: 0 };
  const tried = new Set<string>();
  const log = deps.logger;

  const attempt = (nodeId: string) =>
    new Promise<AttemptEnd>((resolve) => {
      let ended = false;
      let graceTimer: NodeJS.Timeout | undefined;
      const end = (result: AttemptEnd) => {
        if (ended) return;
        ended = true;
        clearTimeout(dispatchTimer);
        clearTimeout(stallTimer);
        clearTimeout(graceTimer);
        signal.removeEventListener("abort", onAbort);
        resolve(result);
      };
      const dispatchTimer = setTimeout(() => {
        log.warn("no first token in time; trying another node", { jobId: spec.jobId, node: nodeId });
        deps.hub.send(nodeId, { type: "cancel", jobId: spec.jobId, reason: "no first token in time" });
        deps.hub.release(nodeId, spec.jobId);
        end({ kind: "timeout" });
      }, deps.dispatchTimeoutMs);
      const onAbort = () => {
        clearTimeout(dispatchTimer);
        clearTimeout(stallTimer);
        deps.hub.send(nodeId, { type: "cancel", jobId: spec.jobId, reason: "the consumer went away" });
        graceTimer = setTimeout(() => {
          log.warn("node did not confirm a cancel in time", { jobId: spec.jobId, node: nodeId });
          deps.hub.release(nodeId, spec.jobId);
          end({ kind: "abandoned" });
        }, deps.cancelGraceMs);
      };
      // After the first token, a node that goes quiet for as long as the dispatch timeout is
      // treated as gone (the consumer gets a clean error instead of a stream that never ends).
      let stallTimer: NodeJS.Timeout | undefined;
      const armStall = () => {
        clearTimeout(stallTimer);
        if (signal.aborted) return;
        stallTimer = setTimeout(() => {
          log.warn("node stalled mid-answer", { jobId: spec.jobId, node: nodeId });
          deps.hub.send(nodeId, { type: "cancel", jobId: spec.jobId, reason: "stalled" });
          deps.hub.release(nodeId, spec.jobId);
          end({ kind: "timeout" });
        }, deps.dispatchTimeoutMs);
      };
      const listener: NodeJobListener = {
        onTokens(text, count) {
          if (ended) return;
          clearTimeout(dispatchTimer);
          armStall();
          relayed.text += text;
          relayed.tokens += count;
          if (!signal.aborted) onText(text);
        },
        onDone: (finishReason, receipt) => end({ kind: "done", finishReason, receipt }),
        onFailed: (code, message, retryable) => end({ kind: "failed", code, message, retryable }),
        onDisconnect: () => end({ kind: "dropped" }),
      };
      const sent = deps.hub.assign(nodeId, { type: "job", jobId: spec.jobId, model: spec.model, input: spec.input, sampling: spec.sampling }, listener);
      if (!sent) return end({ kind: "dropped" });
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
    });

  const release = async (status: "failed" | "disputed" | "abandoned", detail: string, address?: string) => {
    try {
      await deps.ledger.releaseJob(spec.jobId, status, detail, address);
    } catch (err) {
      log.error("could not release a job's reservation", { jobId: spec.jobId, error: String(err) });
    }
  };

  // Picking a node and sending it the job happen in one synchronous step (here or inside the
  // queue's wake), so no other job can take the slot in between.
  let attempts = 0;
  const start = (): Started | undefined => {
    const node = pickNode(deps.hub.candidates(), spec.model, tried);
    if (!node) return undefined;
    tried.add(node.id);
    attempts++;
    const address = deps.hub.addressOf(node.id) ?? "";
    log.info("job dispatched", { jobId: spec.jobId, model: spec.model, node: node.id, address, attempt: attempts });
    return { nodeId: node.id, address, ended: attempt(node.id) };
  };
  const isServed = () => deps.hub.candidates().some((n) => !tried.has(n.id) && servesModel(n, spec.model));

  let gaveUp: "unserved" | "full" | "expired" = "unserved";
  for (let i = 0; i < deps.maxAttempts; i++) {
    if (signal.aborted) break;
    let started = start();
    if (!started) {
      if (!isServed()) break;
      log.info("every node serving the model is busy; job waits", { jobId: spec.jobId, model: spec.model, retry: i > 0 });
      const waited = await deps.queue.wait(spec.model, { tryStart: start, isServed }, signal, i > 0);
      if (waited.kind !== "started") {
        if (waited.kind !== "aborted") gaveUp = waited.kind;
        log.info("job left the wait for capacity", { jobId: spec.jobId, model: spec.model, reason: waited.kind });
        break;
      }
      started = waited.value;
    }
    const { nodeId, address } = started;
    const end = await started.ended;
    if (end.kind === "done") return settle(deps, spec, nodeId, address, end.finishReason, end.receipt, relayed);
    if (end.kind === "abandoned") {
      await release("abandoned", "node did not confirm the cancel", address);
      return consumerGone();
    }
    const why = end.kind === "failed" ? `${end.code}: ${end.message}` : end.kind === "dropped" ? "node disconnected" : "no first token in time";
    log.warn("job attempt ended without an answer", { jobId: spec.jobId, node: nodeId, reason: end.kind === "failed" ? end.code : end.kind, tokens: relayed.tokens });
    if (relayed.tokens > 0) {
      await release("failed", `after ${relayed.tokens} tokens: ${why}`, address);
      return brokenOff();
    }
    if (end.kind === "failed" && !end.retryable) {
      await release("failed", why, address);
      return failureOutcome(spec, end.code, end.message);
    }
  }
  if (signal.aborted) {
    await release("abandoned", "consumer went away");
    return consumerGone();
  }
  const why = { unserved: "no node could serve it", full: "too many requests waiting for the model", expired: "no node had room in time" }[gaveUp];
  await release("failed", why);
  return gaveUp === "full" ? queueFull(spec.model) : noCapacity();
}

async function settle(
  deps: DispatcherDeps,
  spec: JobSpec,
  nodeId: string,
  address: string,
  finishReason: FinishReason,
  receipt: Receipt,
  relayed: { text: string; tokens: number },
): Promise<JobOutcome> {
  const answer = (promptTokens: number): JobOutcome => ({
    ok: true,
    text: relayed.text,
    finishReason,
    promptTokens,
    completionTokens: relayed.tokens,
  });
  const check = await checkReceipt(receipt, {
    jobId: spec.jobId,
    model: spec.model,
    nodeAddress: address,
    relayedText: relayed.text,
    relayedTokens: relayed.tokens,
    promptTokenBound: spec.promptTokenBound,
    maxTokens: spec.sampling.maxTokens,
  });
  if (!check.ok) {
    deps.logger.warn("receipt refused; job disputed", { jobId: spec.jobId, address, reason: check.reason });
    await deps.ledger.releaseJob(spec.jobId, "disputed", check.reason, address).catch((err: unknown) => {
      deps.logger.error("could not release a disputed job", { jobId: spec.jobId, error: String(err) });
    });
    deps.hub.send(nodeId, { type: "error", code: "receipt_refused", message: `receipt refused: ${check.reason}; no credit`, ref: spec.jobId });
    return answer(Math.min(receipt.promptTokens, spec.promptTokenBound));
  }
  const costMicroUsd = jobCostMicroUsd(deps.price(spec.model), receipt.promptTokens, receipt.completionTokens);
  try {
    const result = await deps.ledger.settleJob({ jobId: spec.jobId, nodeAddress: address, receipt, finishReason, costMicroUsd, feeBps: deps.feeBps });
    if (result.status === "settled") {
      deps.logger.info("job settled", { jobId: spec.jobId, address, costMicroUsd, nodeMicroUsd: result.nodeMicroUsd, finishReason });
      deps.hub.send(nodeId, {
        type: "credit",
        jobId: spec.jobId,
        amountMicroUsd: result.nodeMicroUsd,
        balanceMicroUsd: result.nodeBalanceMicroUsd,
        todayMicroUsd: result.nodeTodayMicroUsd,
      });
    } else {
      deps.logger.warn("job was already closed; receipt ignored", { jobId: spec.jobId, address });
    }
  } catch (err) {
    deps.logger.error("settlement failed; job disputed", { jobId: spec.jobId, address, error: String(err) });
    await deps.ledger.releaseJob(spec.jobId, "disputed", `settlement failed: ${String(err)}`, address).catch(() => {});
  }
  return answer(receipt.promptTokens);
}
