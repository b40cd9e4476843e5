/**
 * One attempt of a job on one node: sends the job, relays its tokens, and ends on the node's
 * `done` or `failed`, its disconnect, a missing first token, a stall mid-answer, or — after the
 * consumer went away — a cancel the node does not confirm in time.
 */
import type { FinishReason, JobFailureCode, JobInput, Receipt, Sampling } from "../shared/protocol";
import type { ModelPrice } from "../shared/money";
import type { Logger } from "../shared/logger";
import type { NodeHub, NodeJobListener } from "./node-hub";

/** One node's share of a job: what it was asked and what it streamed. */
export interface Part {
  /** 0 for the first node to stream tokens, then 1, 2 … for the nodes that continued. */
  readonly index: number;
  /** The id the node runs it under (the job's id, or "<job>.p<n>" for a continuation). */
  readonly jobId: string;
  readonly nodeId: string;
  readonly address: string;
  /** What the node charges per million tokens. */
  readonly price: ModelPrice;
  readonly input: JobInput;
  readonly sampling: Sampling;
  readonly promptTokenBound: number;
  text: string;
  tokens: number;
  /** performance.now() of the first and the last token. */
  firstTokenAt: number | null;
  lastTokenAt: number | null;
}

/** How an attempt ended. */
export type AttemptEnd =
  | { readonly kind: "done"; readonly finishReason: FinishReason; readonly receipt: Receipt }
  | { readonly kind: "failed"; readonly code: JobFailureCode; readonly message: string; readonly retryable: boolean; readonly receipt?: Receipt }
  | { readonly kind: "dropped" }
  | { readonly kind: "timeout" }
  | { readonly kind: "abandoned" };

/** What an attempt needs. */
export interface AttemptDeps {
  readonly hub: Pick<NodeHub, "assign" | "release" | "send">;
  readonly logger: Logger;
  /** Time a node has to produce its first token, and longest silence after it. */
  readonly dispatchTimeoutMs: number;
  /** Time a node has to confirm a cancel with `done`. */
  readonly cancelGraceMs: number;
}

/**
 * Runs `part` on its node until it ends. `onText` receives each piece of output while the
 * consumer is there; aborting `signal` cancels the job on the node (which then bills what it
 * produced with its `done`).
 */
export function runAttempt(deps: AttemptDeps, model: string, part: Part, onText: (text: string) => void, signal: AbortSignal): Promise<AttemptEnd> {
  const { hub, logger: log } = deps;
  const { nodeId, jobId } = part;
  return new Promise<AttemptEnd>((resolve) => {
    let ended = false;
    let graceTimer: NodeJS.Timeout | undefined;
    let stallTimer: NodeJS.Timeout | undefined;
    const end = (result: AttemptEnd) => {
      if (ended) return;
      ended = true;
      clearTimeout(dispatchTimer);
      clearTimeout(stallTimer);
      clearTimeout(graceTimer);
      signal.removeEventListener("abort", onAbort);
      resolve(result);
    };
    const giveUp = (reason: string) => {
      hub.send(nodeId, { type: "cancel", jobId, reason });
      hub.release(nodeId, jobId);
      end({ kind: "timeout" });
    };
    const dispatchTimer = setTimeout(() => {
      log.warn("no first token in time; trying another node", { jobId, node: nodeId });
      giveUp("no first token in time");
    }, deps.dispatchTimeoutMs);
    const onAbort = () => {
      clearTimeout(dispatchTimer);
      clearTimeout(stallTimer);
      hub.send(nodeId, { type: "cancel", jobId, reason: "the consumer went away" });
      graceTimer = setTimeout(() => {
        log.warn("node did not confirm a cancel in time", { jobId, node: nodeId });
        hub.release(nodeId, jobId);
        end({ kind: "abandoned" });
      }, deps.cancelGraceMs);
    };
    // After the first token, a node that goes quiet for as long as the dispatch timeout is
    // treated as gone (the answer continues elsewhere, or the consumer gets a clean error).
    const armStall = () => {
      clearTimeout(stallTimer);
      if (signal.aborted) return;
      stallTimer = setTimeout(() => {
        log.warn("node stalled mid-answer", { jobId, node: nodeId });
        giveUp("stalled");
      }, deps.dispatchTimeoutMs);
    };
    const listener: NodeJobListener = {
      onTokens(text, count) {
        if (ended) return;
        clearTimeout(dispatchTimer);
        armStall();
        const now = performance.now();
        part.firstTokenAt ??= now;
        part.lastTokenAt = now;
        part.text += text;
        part.tokens += count;
        if (!signal.aborted) onText(text);
      },
      onDone: (finishReason, receipt) => end({ kind: "done", finishReason, receipt }),
      onFailed: (code, message, retryable, receipt) => end({ kind: "failed", code, message, retryable, ...(receipt ? { receipt } : {}) }),
      onDisconnect: () => end({ kind: "dropped" }),
    };
    const sent = hub.assign(nodeId, { type: "job", jobId, model, input: part.input, sampling: part.sampling }, listener);
    if (!sent) return end({ kind: "dropped" });
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** The attempt's end in a few words, for logs and job details. */
export function describeEnd(end: AttemptEnd): string {
  switch (end.kind) {
    case "failed":
      return `${end.code}: ${end.message}`;
    case "dropped":
      return "node disconnected";
    case "timeout":
      return "node went quiet";
    case "abandoned":
      return "node did not confirm the cancel";
    case "done":
      return `done (${end.finishReason})`;
  }
}
