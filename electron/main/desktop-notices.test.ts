import { describe, expect, it } from "vitest";
import type { NodeState, WithdrawalFeed } from "../../shared/control-api";
import { DEFAULT_SETTINGS, type NotificationSettings } from "../../shared/settings";
import type { WithdrawalStatus, WithdrawalView } from "../../shared/withdrawal";
import { sampleNodeState } from "../../tests/fake-electron/fake-control-api";
import { noticesFor, pausedForGame, snapshotOf, type DesktopNotice, type NoticeSnapshot } from "./desktop-notices";

const ALL_ON = DEFAULT_SETTINGS.desktop.notifications;
const ALL_OFF = { firstEarningsOfDay: false, pausedForGame: false, withdrawals: false };
const TO = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23";

/** A snapshot of `state` as the notifier's first (no withdrawals known before it). */
const at = (state: Partial<NodeState>, previous: NoticeSnapshot | null = null): NoticeSnapshot => snapshotOf(sampleNodeState(state), previous);

function withdrawal(id: string, status: WithdrawalStatus, failureReason: string | null = null): WithdrawalView {
  return { id, to: TO, amountMicroUsd: 12_340_000, feeMicroUsd: 100_000, status, txHash: null, failureReason, chainId: 8453, createdAt: 1, updatedAt: 2 };
}
const feed = (items: WithdrawalView[], status: WithdrawalFeed["status"] = "ready"): Partial<NodeState> => ({ withdrawals: { status, error: status === "error" ? "no answer" : null, items } });

/** The notices of each step as the notifier walks through pushed states (the first one included). */
function walk(states: Partial<NodeState>[], choices: NotificationSettings = ALL_ON): DesktopNotice[][] {
  let last: NoticeSnapshot | null = null;
  return states.map((state) => {
    const next = snapshotOf(sampleNodeState(state), last);
    const notices = noticesFor(last, next, choices);
    last = next;
    return notices;
  });
}
const earned = (todayMicroUsd: number) => ({ earnings: { todayMicroUsd, balanceMicroUsd: 5_000_000, jobsServed: 3 } });

function gaming(name: string): Partial<NodeState> {
  const base = sampleNodeState();
  return {
    sharing: true,
    activity: "paused",
    reason: `Paused: Steam game running (${name})`,
    decision: { share: false, reason: `Paused: Steam game running (${name})`, nextChangeAt: null, pausedByOwner: false },
    signals: { ...base.signals, latest: { ...base.signals.latest!, game: { name, source: "steam" } } },
  };
}
const sharingNow: Partial<NodeState> = { sharing: true, activity: "ready", reason: "Ready: waiting for jobs" };

describe("which notifications a change calls for", () => {
  it("says nothing for the first snapshot after the app starts", () => {
    expect(noticesFor(null, at({ ...earned(50_000), ...gaming("Cyberpunk 2077") }), ALL_ON)).toEqual([]);
  });

  it("announces the first earnings of the day once", () => {
    const first = noticesFor(at(earned(0)), at(earned(12_000)), ALL_ON);
    expect(first).toEqual([{ kind: "first-earnings", title: "First earnings today", body: "This machine earned $0.012 so far today." }]);
    expect(noticesFor(at(earned(12_000)), at(earned(30_000)), ALL_ON)).toEqual([]);
    // After midnight the day's total starts from zero again, and the next earnings are news again.
    expect(noticesFor(at(earned(0)), at(earned(2_500_000)), ALL_ON).map((n) => n.body)).toEqual(["This machine earned $2.50 so far today."]);
  });

  it("announces a pause for a game when the game starts, not while it runs", () => {
    const start = noticesFor(at(sharingNow), at(gaming("Cyberpunk 2077")), ALL_ON);
    expect(start).toEqual([
      { kind: "paused-for-game", title: "Sharing paused for your game", body: "Cyberpunk 2077 is running. Sharing resumes when it closes." },
    ]);
    expect(noticesFor(at(gaming("Cyberpunk 2077")), at(gaming("Cyberpunk 2077")), ALL_ON)).toEqual([]);
  });

  it("does not take an owner's pause or a battery pause for a game", () => {
    const battery = { sharing: true, activity: "paused" as const, reason: "Paused: on battery", decision: { share: false, reason: "Paused: on battery", nextChangeAt: null, pausedByOwner: false } };
    expect(pausedForGame(sampleNodeState(battery))).toBe(false);
    expect(pausedForGame(sampleNodeState({ ...gaming("Doom"), decision: { share: false, reason: "Paused until 14:00", nextChangeAt: 1, pausedByOwner: true } }))).toBe(false);
    expect(pausedForGame(sampleNodeState({ ...gaming("Doom"), sharing: false }))).toBe(false);
    expect(pausedForGame(sampleNodeState(gaming("Doom")))).toBe(true);
  });

  it("announces a withdrawal confirmed or failed, from the pushed state, when its status changes, once", () => {
    const steps = walk([
      feed([withdrawal("w1", "sent"), withdrawal("w2", "signed")]),
      feed([withdrawal("w1", "confirmed"), withdrawal("w2", "failed", "the payout wallet is out of gas")]),
      feed([withdrawal("w1", "confirmed"), withdrawal("w2", "failed", "the payout wallet is out of gas")]),
      { ...earned(0), ...feed([withdrawal("w1", "confirmed"), withdrawal("w2", "failed", "the payout wallet is out of gas")]) },
    ]);
    expect(steps).toEqual([
      [],
      [
        { kind: "withdrawal-confirmed", title: "Withdrawal confirmed", body: "$12.34 arrived at 0x2c75…5c23." },
        { kind: "withdrawal-failed", title: "Withdrawal failed", body: "$12.34 was not sent: the payout wallet is out of gas. It is back in your balance." },
      ],
      [],
      [],
    ]);
  });

  it("says nothing of withdrawals already over when first seen", () => {
    const over = feed([withdrawal("old", "confirmed"), withdrawal("older", "failed", "reverted")]);
    // In the first snapshot after the app started, after the agent's first read, or new in a later read.
    expect(walk([over, over]).flat()).toEqual([]);
    expect(walk([feed([], "loading"), over]).flat()).toEqual([]);
    expect(walk([feed([withdrawal("w1", "sent")]), feed([withdrawal("new", "confirmed"), withdrawal("w1", "sent")])]).flat()).toEqual([]);
  });

  it("remembers a withdrawal on its way while the feed reloads or fails, and tells of its end once it is read", () => {
    const steps = walk([
      feed([withdrawal("w1", "sent")]),
      feed([], "loading"),
      feed([withdrawal("w1", "sent")], "error"),
      feed([], "error"),
      feed([withdrawal("w1", "confirmed")]),
      feed([withdrawal("w1", "confirmed")], "error"),
      feed([withdrawal("w1", "confirmed")]),
    ]);
    expect(steps.map((notices) => notices.map((n) => n.kind))).toEqual([[], [], [], [], ["withdrawal-confirmed"], [], []]);
  });

  it("keeps quiet about each kind the owner switched off, and does not tell of it later", () => {
    const before = { ...sharingNow, ...earned(0), ...feed([withdrawal("w", "sent")]) };
    const after = { ...gaming("Elden Ring"), ...earned(5_000), ...feed([withdrawal("w", "confirmed")]) };
    expect(walk([before, after]).flat().map((n) => n.kind)).toEqual(["first-earnings", "paused-for-game", "withdrawal-confirmed"]);
    expect(walk([before, after], ALL_OFF).flat()).toEqual([]);
    expect(walk([before, after], { ...ALL_OFF, pausedForGame: true }).flat().map((n) => n.kind)).toEqual(["paused-for-game"]);
    // A change seen while the switch was off is not announced when it is turned back on.
    const first = at(before);
    const second = at(after, first);
    expect(noticesFor(first, second, ALL_OFF)).toEqual([]);
    expect(noticesFor(second, at(after, second), ALL_ON)).toEqual([]);
  });
});
