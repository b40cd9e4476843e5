/**
 * Which desktop notifications a change of the node's state calls for: the first earnings of
 * the day, sharing paused because a game started, a withdrawal confirmed or failed (read from
 * the withdrawals the agent pushes with its state). A pure function of the previous and next
 * snapshot and the owner's choices, so the rules are tested without Electron; notifier.ts shows
 * what it returns.
 */
import type { NodeState, WithdrawalFeed } from "../../shared/control-api";
import { formatUsd } from "../../shared/money";
import { shortenAddress } from "../../shared/redact";
import type { NotificationSettings } from "../../shared/settings";
import type { WithdrawalStatus } from "../../shared/withdrawal";

/** The last status seen of each withdrawal in the node's state, by id. */
export type WithdrawalMemory = ReadonlyMap<string, WithdrawalStatus>;

/** One moment as the notifier saw it. */
export interface NoticeSnapshot {
  readonly state: NodeState;
  /**
   * What the notifier knows of the withdrawals by then; null until the agent first read them.
   * Kept across snapshots whose feed is loading again, so a change is still seen once it reads.
   */
  readonly withdrawals: WithdrawalMemory | null;
}

/**
 * What is known of the withdrawals after seeing `feed`: nothing new while it loads; a list read
 * replaces what was known; a failed read (which keeps the list read before) only adds to it.
 */
export function rememberWithdrawals(known: WithdrawalMemory | null, feed: WithdrawalFeed): WithdrawalMemory | null {
  if (feed.status === "loading") return known;
  const next = new Map(feed.status === "error" && known !== null ? known : []);
  for (const withdrawal of feed.items) next.set(withdrawal.id, withdrawal.status);
  return next;
}

/** The snapshot of `state`, following on from `previous` (null: the first one since the app started). */
export function snapshotOf(state: NodeState, previous: NoticeSnapshot | null): NoticeSnapshot {
  return { state, withdrawals: rememberWithdrawals(previous?.withdrawals ?? null, state.withdrawals) };
}

export type NoticeKind = "first-earnings" | "paused-for-game" | "withdrawal-confirmed" | "withdrawal-failed" | "update-ready";

export interface DesktopNotice {
  readonly kind: NoticeKind;
  readonly title: string;
  readonly body: string;
}

/** True while the sharing rules hold the machine back because a game runs. */
export function pausedForGame(state: NodeState): boolean {
  return state.sharing && !state.decision.share && !state.decision.pausedByOwner && state.signals.latest?.game != null && /game running/i.test(state.decision.reason);
}

const TERMINAL: ReadonlySet<WithdrawalStatus> = new Set(["confirmed", "failed"]);

function withdrawalNotices(before: WithdrawalMemory | null, feed: WithdrawalFeed): DesktopNotice[] {
  if (before === null || feed.status === "loading") return [];
  const notices: DesktopNotice[] = [];
  for (const withdrawal of feed.items) {
    const was = before.get(withdrawal.id);
    // Only a change seen happening: one that was already over when first seen is old news.
    if (was === undefined || TERMINAL.has(was) || !TERMINAL.has(withdrawal.status)) continue;
    const amount = formatUsd(withdrawal.amountMicroUsd);
    if (withdrawal.status === "confirmed") {
      notices.push({ kind: "withdrawal-confirmed", title: "Withdrawal confirmed", body: `${amount} arrived at ${shortenAddress(withdrawal.to)}.` });
    } else {
      const why = withdrawal.failureReason ? `: ${withdrawal.failureReason}` : "";
      notices.push({ kind: "withdrawal-failed", title: "Withdrawal failed", body: `${amount} was not sent${why}. It is back in your balance.` });
    }
  }
  return notices;
}

/**
 * The notifications for going from `previous` to `next` (nothing on the first snapshot: the
 * app just started, nothing happened yet), keeping only the kinds the owner left on.
 */
export function noticesFor(previous: NoticeSnapshot | null, next: NoticeSnapshot, choices: NotificationSettings): DesktopNotice[] {
  if (previous === null) return [];
  const notices: DesktopNotice[] = [];
  const today = next.state.earnings.todayMicroUsd;
  if (choices.firstEarningsOfDay && previous.state.earnings.todayMicroUsd === 0 && today > 0) {
    notices.push({ kind: "first-earnings", title: "First earnings today", body: `This machine earned ${formatUsd(today)} so far today.` });
  }
  if (choices.pausedForGame && !pausedForGame(previous.state) && pausedForGame(next.state)) {
    const game = next.state.signals.latest?.game?.name ?? "A game";
    notices.push({ kind: "paused-for-game", title: "Sharing paused for your game", body: `${game} is running. Sharing resumes when it closes.` });
  }
  if (choices.withdrawals) notices.push(...withdrawalNotices(previous.withdrawals, next.state.withdrawals));
  return notices;
}
