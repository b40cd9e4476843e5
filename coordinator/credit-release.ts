/**
 * Runs the release of node credits past their verification window on a timer. Each tick
 * releases batches until one comes back short (bounded by `maxBatches`), so a backlog drains
 * over a few ticks without one transaction growing large; then it forfeits the held earnings of
 * quarantined nodes whose appeal window has passed (when given `forfeit`). Several coordinators on one database
 * may run it at once (see releaseDueCredits).
 */
import type { Logger } from "../shared/logger";
import type { ForfeitResult } from "./appeal-expiry";
import type { Ledger } from "./ledger";

export interface CreditReleaserOptions {
  readonly ledger: Pick<Ledger, "releaseDueCredits">;
  readonly logger: Logger;
  /** Time between ticks. */
  readonly intervalMs: number;
  /** Credits per transaction (default 1000). */
  readonly batchSize?: number;
  /** Transactions per tick at most (default 20). */
  readonly maxBatches?: number;
  /**
   * Forfeits the held earnings of nodes whose appeal window passed (appeal-expiry.ts), after
   * each tick's release; `onForfeited` hears of each node it touched.
   */
  readonly forfeit?: () => Promise<ForfeitResult>;
  readonly onForfeited?: (address: string) => void;
}

/** A running releaser. */
export interface CreditReleaser {
  /** Runs one tick now (also what the timer calls); resolves with the credits released. */
  tick(): Promise<number>;
  stop(): Promise<void>;
}

/** Starts releasing on a timer; the first tick runs at once. */
export function startCreditReleaser(options: CreditReleaserOptions): CreditReleaser {
  const batchSize = options.batchSize ?? 1_000;
  const maxBatches = options.maxBatches ?? 20;
  let running: Promise<number> | null = null;
  let stopped = false;

  const runTick = async (): Promise<number> => {
    let total = 0;
    for (let i = 0; i < maxBatches && !stopped; i++) {
      const result = await options.ledger.releaseDueCredits(batchSize);
      total += result.credits;
      if (result.credits > 0) options.logger.info("node credits released", { credits: result.credits, microUsd: result.microUsd, nodes: result.nodes });
      if (result.credits < batchSize) break;
    }
    if (options.forfeit && !stopped) {
      const forfeited = await options.forfeit();
      if (forfeited.parts > 0) options.logger.warn("held earnings forfeited, consumers refunded", { nodes: forfeited.nodes.length, parts: forfeited.parts, microUsd: forfeited.microUsd });
      for (const address of forfeited.nodes) options.onForfeited?.(address);
    }
    return total;
  };

  const tick = (): Promise<number> => {
    // One tick at a time in this process; other processes are kept apart by row locks.
    running ??= runTick()
      .catch((error: unknown) => {
        options.logger.error("releasing node credits failed; retrying at the next tick", { error: String(error) });
        return 0;
      })
      .finally(() => {
        running = null;
      });
    return running;
  };

  const timer = setInterval(() => void tick(), options.intervalMs);
  timer.unref();
  void tick();
  return {
    tick,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
