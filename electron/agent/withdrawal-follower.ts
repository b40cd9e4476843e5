/**
 * Keeps the node's withdrawals in its state. They are read from the coordinator when the node
 * starts and logs in, shown at once when the owner makes one, and then followed while one is on
 * its way (requested, signed, sent), with a growing pause between reads, until none moves or the
 * connection to the coordinator is gone. A withdrawal that ends (confirmed, or failed and
 * refunded) moves the node's balance, which the agent is told so it can read its totals again.
 */
import { WITHDRAWALS_IN_STATE, type Result, type WithdrawalFeed } from "../../shared/control-api";
import type { WithdrawalStatus, WithdrawalView } from "../../shared/withdrawal";

/** Statuses that will still change. */
export const MOVING_STATUSES: ReadonlySet<WithdrawalStatus> = new Set(["requested", "signed", "sent"]);

/**
 * Pauses between reads while a withdrawal moves (ms): quick at first, since a payout confirms in
 * seconds on a fast chain, then at most one read every 30 s; back to the start when one moves.
 */
export const FOLLOW_DELAYS_MS: readonly number[] = [2_000, 3_000, 5_000, 10_000, 20_000, 30_000];

export interface WithdrawalFollowerOptions {
  /** This node's withdrawals at its coordinator, newest first (WithdrawalClient.list). */
  readonly list: () => Promise<Result<WithdrawalView[]>>;
  /** Called with every new feed, to go into the node's state. */
  readonly onChange: (feed: WithdrawalFeed) => void;
  /** Called when a followed withdrawal ended: the balance changed at the coordinator. */
  readonly onEnded: () => void;
  readonly delaysMs?: readonly number[];
}

function isMoving(withdrawal: WithdrawalView): boolean {
  return MOVING_STATUSES.has(withdrawal.status);
}

/** The withdrawals of one node, as its state shows them. */
export class WithdrawalFollower {
  private feed: WithdrawalFeed = { status: "loading", error: null, items: [] };
  /** Raised by {@link reset}: reads made for the previous address are dropped. */
  private generation = 0;
  private latestRead = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private step = 0;
  private connected = false;
  private stopped = false;

  constructor(private readonly options: WithdrawalFollowerOptions) {}

  /** The feed as it stands. */
  get view(): WithdrawalFeed {
    return this.feed;
  }

  /** True while a read is scheduled (a withdrawal moves and the coordinator is connected). */
  get following(): boolean {
    return this.timer !== null;
  }

  /** Forgets the list (the node has another address now): loading again, nothing followed. */
  reset(): void {
    this.generation += 1;
    this.cancel();
    this.set({ status: "loading", error: null, items: [] });
  }

  /** The coordinator connection came up (read now, then follow) or went away (stop following). */
  setConnected(connected: boolean): void {
    this.connected = connected;
    if (connected) void this.refresh();
    else this.cancel();
  }

  /** A withdrawal the owner just made: shown at once, then followed. */
  added(withdrawal: WithdrawalView): void {
    const items = [withdrawal, ...this.feed.items.filter((w) => w.id !== withdrawal.id)].slice(0, WITHDRAWALS_IN_STATE);
    this.set({ status: "ready", error: null, items });
    this.cancel();
    this.step = 0;
    this.schedule();
  }

  /**
   * Reads the list now. The answer is applied unless a newer read or a reset came first; while a
   * withdrawal moves, the next read is scheduled.
   */
  async refresh(): Promise<void> {
    if (this.stopped) return;
    const generation = this.generation;
    const read = ++this.latestRead;
    this.cancel();
    let result: Result<WithdrawalView[]>;
    try {
      result = await this.options.list();
    } catch (error) {
      result = { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
    if (this.stopped || generation !== this.generation || read !== this.latestRead) return;
    this.apply(result);
    this.schedule();
  }

  /** Stops for good (the agent shuts down). */
  stop(): void {
    this.stopped = true;
    this.cancel();
  }

  private apply(result: Result<WithdrawalView[]>): void {
    if (!result.ok) {
      // What was read before stays on screen, with the reason it is not newer.
      this.set({ ...this.feed, status: "error", error: result.error });
      return;
    }
    const items = result.value.slice(0, WITHDRAWALS_IN_STATE);
    const before = new Map(this.feed.items.map((w) => [w.id, w]));
    const ended = items.some((w) => {
      const was = before.get(w.id);
      return was !== undefined && isMoving(was) && !isMoving(w);
    });
    const moved = items.some((w) => before.get(w.id)?.updatedAt !== w.updatedAt) || items.length !== before.size;
    // Something happened: look again soon, as the next step usually follows quickly.
    if (moved) this.step = 0;
    this.set({ status: "ready", error: null, items });
    if (ended) this.options.onEnded();
  }

  private schedule(): void {
    if (this.stopped || !this.connected || this.timer !== null || !this.feed.items.some(isMoving)) {
      if (!this.feed.items.some(isMoving)) this.step = 0;
      return;
    }
    const delays = this.options.delaysMs ?? FOLLOW_DELAYS_MS;
    const delay = delays[Math.min(this.step, delays.length - 1)] ?? 30_000;
    this.step += 1;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.refresh();
    }, delay);
    // A pending read never keeps the process alive on its own.
    this.timer.unref?.();
  }

  private cancel(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private set(feed: WithdrawalFeed): void {
    if (JSON.stringify(feed) === JSON.stringify(this.feed)) return;
    this.feed = feed;
    this.options.onChange(feed);
  }
}
