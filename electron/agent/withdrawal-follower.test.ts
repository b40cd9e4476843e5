/**
 * The follower that keeps the node's withdrawals in its state: one read at login, reads while a
 * withdrawal moves with pauses that grow (and start over when something moves), and none once
 * nothing moves or the coordinator connection is gone. The coordinator's list is a script here;
 * node-agent.withdrawal-feed.test.ts runs the follower against a real coordinator.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Result, WithdrawalFeed } from "../../shared/control-api";
import type { WithdrawalStatus, WithdrawalView } from "../../shared/withdrawal";
import { WithdrawalFollower } from "./withdrawal-follower";

const DELAYS = [100, 200, 400];

function withdrawal(id: string, status: WithdrawalStatus, updatedAt = 1): WithdrawalView {
  return {
    id,
    to: "0x90F8bf6A479f320ead074411a4B0e7944Ea8c9C1",
    amountMicroUsd: 2_000_000,
    feeMicroUsd: 50_000,
    status,
    txHash: status === "requested" ? null : `0x${"ab".repeat(32)}`,
    failureReason: status === "failed" ? "the treasury is empty" : null,
    chainId: 1337,
    createdAt: 1,
    updatedAt,
  };
}

/** The coordinator's list as a script: what it answers now, and how often it was asked. */
class ScriptedList {
  answer: Result<WithdrawalView[]> = { ok: true, value: [] };
  calls = 0;
  list = async (): Promise<Result<WithdrawalView[]>> => {
    this.calls += 1;
    return this.answer;
  };
}

describe("the withdrawal follower", () => {
  let coordinator: ScriptedList;
  let feeds: WithdrawalFeed[];
  let ended: number;
  let follower: WithdrawalFollower;

  beforeEach(() => {
    vi.useFakeTimers();
    coordinator = new ScriptedList();
    feeds = [];
    ended = 0;
    follower = new WithdrawalFollower({ list: coordinator.list, onChange: (feed) => feeds.push(feed), onEnded: () => ended++, delaysMs: DELAYS });
  });
  afterEach(() => {
    follower.stop();
    vi.useRealTimers();
  });

  it("reads at login and follows a moving withdrawal until it is confirmed, then stops and says the balance moved", async () => {
    expect(follower.view).toEqual({ status: "loading", error: null, items: [] });
    coordinator.answer = { ok: true, value: [withdrawal("wd_1", "sent")] };
    follower.setConnected(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(coordinator.calls).toBe(1);
    expect(follower.view).toEqual({ status: "ready", error: null, items: [withdrawal("wd_1", "sent")] });
    expect(follower.following).toBe(true);

    coordinator.answer = { ok: true, value: [withdrawal("wd_1", "confirmed", 2)] };
    await vi.advanceTimersByTimeAsync(100);
    expect(coordinator.calls).toBe(2);
    expect(follower.view.items[0]?.status).toBe("confirmed");
    expect(ended).toBe(1);
    expect(follower.following).toBe(false);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(coordinator.calls).toBe(2);
    // Only changes go out: loading → sent → confirmed.
    expect(feeds.map((f) => f.items[0]?.status ?? f.status)).toEqual(["sent", "confirmed"]);
  });

  it("waits longer between reads while nothing moves, and starts over when something does", async () => {
    coordinator.answer = { ok: true, value: [withdrawal("wd_1", "requested")] };
    follower.setConnected(true);
    await vi.advanceTimersByTimeAsync(0);
    const readsAfter = async (ms: number) => {
      await vi.advanceTimersByTimeAsync(ms);
      return coordinator.calls;
    };
    expect(await readsAfter(99)).toBe(1);
    expect(await readsAfter(1)).toBe(2);
    expect(await readsAfter(199)).toBe(2);
    expect(await readsAfter(1)).toBe(3);
    expect(await readsAfter(400)).toBe(4);
    // The longest pause is the last one.
    expect(await readsAfter(400)).toBe(5);
    coordinator.answer = { ok: true, value: [withdrawal("wd_1", "signed", 2)] };
    expect(await readsAfter(400)).toBe(6);
    expect(await readsAfter(100)).toBe(7);
    expect(ended).toBe(0);
  });

  it("stops following when the coordinator connection is gone, and reads again when it is back", async () => {
    coordinator.answer = { ok: true, value: [withdrawal("wd_1", "sent")] };
    follower.setConnected(true);
    await vi.advanceTimersByTimeAsync(0);
    follower.setConnected(false);
    expect(follower.following).toBe(false);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(coordinator.calls).toBe(1);
    follower.setConnected(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(coordinator.calls).toBe(2);
    expect(follower.following).toBe(true);
  });

  it("shows a new withdrawal at once and follows it", async () => {
    follower.setConnected(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(follower.following).toBe(false);
    follower.added(withdrawal("wd_2", "requested"));
    expect(follower.view.items.map((w) => w.id)).toEqual(["wd_2"]);
    coordinator.answer = { ok: true, value: [withdrawal("wd_2", "failed", 3)] };
    await vi.advanceTimersByTimeAsync(100);
    expect(follower.view.items[0]).toMatchObject({ status: "failed", failureReason: "the treasury is empty" });
    expect(ended).toBe(1);
    expect(follower.following).toBe(false);
  });

  it("keeps what it showed when a read fails, with the reason, and keeps following", async () => {
    coordinator.answer = { ok: true, value: [withdrawal("wd_1", "sent")] };
    follower.setConnected(true);
    await vi.advanceTimersByTimeAsync(0);
    coordinator.answer = { ok: false, error: "the coordinator at http://127.0.0.1:1 did not answer" };
    await vi.advanceTimersByTimeAsync(100);
    expect(follower.view).toEqual({ status: "error", error: "the coordinator at http://127.0.0.1:1 did not answer", items: [withdrawal("wd_1", "sent")] });
    expect(follower.following).toBe(true);
  });

  it("drops a read made for the previous address after a reset", async () => {
    let release: (result: Result<WithdrawalView[]>) => void = () => {};
    const slow = new WithdrawalFollower({
      list: () => new Promise((resolve) => (release = resolve)),
      onChange: () => {},
      onEnded: () => {},
      delaysMs: DELAYS,
    });
    const reading = slow.refresh();
    slow.reset();
    release({ ok: true, value: [withdrawal("wd_old", "sent")] });
    await reading;
    expect(slow.view).toEqual({ status: "loading", error: null, items: [] });
    slow.stop();
  });
});
