/**
 * Wires the network's judgement into job dispatch: what each job teaches reputation (speed,
 * answers finished or broken off, refused receipts), and what a quarantine does (earnings held,
 * the node told why, and, when verification caught it, its consumers refunded).
 */
import type { Logger } from "../shared/logger";
import { STANDING_NOTICES } from "../shared/appeal";
import { upholdOpenAppeal } from "./appeals";
import type { Database } from "./db";
import type { Ledger } from "./ledger";
import type { NodeHub } from "./node-hub";
import type { CapacityQueue } from "./capacity-queue";
import type { DispatcherDeps, DispatchEvents } from "./job-dispatcher";
import type { Reputation } from "./reputation";

/** What the wiring takes. */
export interface NetworkParts {
  readonly db: Database;
  readonly ledger: Ledger;
  readonly hub: Pick<NodeHub, "candidates" | "addressOf" | "assign" | "release" | "send" | "sendToAddress">;
  readonly queue: CapacityQueue;
  readonly reputation: Reputation;
  readonly logger: Logger;
  readonly clock: () => Date;
  readonly feeBps: number;
  readonly dispatchTimeoutMs: number;
  readonly cancelGraceMs: number;
  readonly latencyToleranceMs?: number;
}

/** Runs a side task of a job without ever failing the job. */
function background(logger: Logger, what: string, task: () => Promise<unknown>): void {
  task().catch((err: unknown) => logger.error(`${what} failed`, { error: String(err) }));
}

/** Builds the dispatcher and hooks reputation to it. */
export function wireNetwork(parts: NetworkParts, extraEvents: DispatchEvents[] = []): DispatcherDeps {
  const { reputation, hub, ledger, logger } = parts;
  reputation.hooks = {
    async onQuarantine(address, reason, cause) {
      const held = await ledger.holdPending(address, `quarantined: ${reason}`);
      logger.warn("quarantined node's pending earnings held", { address, heldMicroUsd: held.heldMicroUsd, credits: held.credits });
      hub.sendToAddress(address, { type: "error", code: "quarantined", message: `quarantined: ${reason}` });
      // Caught cheating by verification: the consumers of its unreleased work are made whole.
      if (cause === "verification") {
        const refunded = await ledger.refundNodeJobs(address, `the node that served this failed verification: ${reason}`);
        if (refunded.parts > 0) logger.warn("consumers refunded for a quarantined node's work", { address, ...refunded });
      }
    },
    async onRelease(address) {
      await ledger.releaseHold(address);
      // Lifting a quarantine upholds the owner's open appeal, if any; the node reads its standing again.
      await upholdOpenAppeal(parts.db, address, parts.clock());
      hub.sendToAddress(address, { type: "error", code: STANDING_NOTICES.quarantineLifted, message: "the quarantine was lifted: the node may take jobs again" });
    },
  };
  const events: DispatchEvents = {
    onAttemptEnd(address, end, tokens) {
      if (end === "done") background(logger, "recording an answer", () => reputation.recordAnswer(address, true));
      else if (tokens > 0 && end !== "abandoned") background(logger, "recording a broken answer", () => reputation.recordAnswer(address, false));
      for (const e of extraEvents) e.onAttemptEnd?.(address, end, tokens);
    },
    onDecodeMeasured(address, tokens, seconds) {
      reputation.recordDecode(address, tokens, seconds);
      for (const e of extraEvents) e.onDecodeMeasured?.(address, tokens, seconds);
    },
    onAnswered(job) {
      for (const e of extraEvents) e.onAnswered?.(job);
    },
    onFailover(jobId, from) {
      for (const e of extraEvents) e.onFailover?.(jobId, from);
    },
  };
  return {
    hub,
    ledger,
    db: parts.db,
    logger,
    feeBps: parts.feeBps,
    clock: parts.clock,
    dispatchTimeoutMs: parts.dispatchTimeoutMs,
    cancelGraceMs: parts.cancelGraceMs,
    latencyToleranceMs: parts.latencyToleranceMs,
    maxAttempts: 3,
    queue: parts.queue,
    events,
    onReceiptRefused(address, reason) {
      background(logger, "recording a refused receipt", () => reputation.recordCheck(address, false, `receipt refused: ${reason}`));
    },
  };
}
