import { describe, expect, it } from "vitest";
import type { NodeState } from "../../shared/control-api";
import { DEFAULT_SETTINGS } from "../../shared/settings";
import { sampleNodeState } from "../../tests/fake-electron/fake-control-api";
import { noticesFor, pausedForGame, type NoticeSnapshot, type WithdrawalSnapshot } from "./desktop-notices";

const ALL_ON = DEFAULT_SETTINGS.desktop.notifications;
const ALL_OFF = { firstEarningsOfDay: false, pausedForGame: false, withdrawals: false };
const TO = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23";

const at = (state: Partial<NodeState>, withdrawals: WithdrawalSnapshot[] | null = null): NoticeSnapshot => ({ state: sampleNodeState(state), withdrawals });
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

  it("announces a withdrawal confirmed or failed when its status changes", () => {
    const sent = (id: string): WithdrawalSnapshot => ({ id, to: TO, amountMicroUsd: 12_340_000, status: "sent", failureReason: null });
    const before = at(sharingNow, [sent("w1"), sent("w2")]);
    const after = at(sharingNow, [
      { ...sent("w1"), status: "confirmed" },
      { ...sent("w2"), status: "failed", failureReason: "the payout wallet is out of gas" },
    ]);
    expect(noticesFor(before, after, ALL_ON)).toEqual([
      { kind: "withdrawal-confirmed", title: "Withdrawal confirmed", body: "$12.34 arrived at 0x2c75…5c23." },
      { kind: "withdrawal-failed", title: "Withdrawal failed", body: "$12.34 was not sent: the payout wallet is out of gas. It is back in your balance." },
    ]);
    // Already over when first seen, or seen again: nothing.
    expect(noticesFor(at(sharingNow, []), after, ALL_ON)).toEqual([]);
    expect(noticesFor(at(sharingNow, null), after, ALL_ON)).toEqual([]);
    expect(noticesFor(after, after, ALL_ON)).toEqual([]);
  });

  it("keeps quiet about each kind the owner switched off", () => {
    const before = at({ ...sharingNow, ...earned(0) }, [{ id: "w", to: TO, amountMicroUsd: 1, status: "sent", failureReason: null }]);
    const after = at({ ...gaming("Elden Ring"), ...earned(5_000) }, [{ id: "w", to: TO, amountMicroUsd: 1, status: "confirmed", failureReason: null }]);
    expect(noticesFor(before, after, ALL_ON).map((n) => n.kind)).toEqual(["first-earnings", "paused-for-game", "withdrawal-confirmed"]);
    expect(noticesFor(before, after, ALL_OFF)).toEqual([]);
    expect(noticesFor(before, after, { ...ALL_OFF, pausedForGame: true }).map((n) => n.kind)).toEqual(["paused-for-game"]);
  });
});
