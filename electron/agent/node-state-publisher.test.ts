/**
 * The state publisher: every snapshot a listener receives already carries the sandbox warnings
 * and the activity with its reason derived from it and the facts of the moment; a listener that
 * throws does not keep the others from their snapshot; an unsubscribed listener hears no more.
 */
import { describe, expect, it } from "vitest";
import type { NodeState, SandboxStatus } from "../../shared/control-api";
import type { Logger } from "../../shared/logger";
import type { SharingDecision } from "../../shared/sharing-types";
import { initialNodeState, PARTIAL_SANDBOX_WARNING, UNSANDBOXED_WARNING } from "./node-state";
import { NodeStatePublisher, workerProblemOf, type StateFacts } from "./node-state-publisher";

const SHARE: SharingDecision = { share: true, reason: "Sharing: the computer is idle", nextChangeAt: null, pausedByOwner: false };
const BUBBLEWRAP: SandboxStatus = { kind: "bubblewrap", active: true, detail: "bubblewrap: no network" };

/** A publisher over a sharing node's first state; `facts` and `allowUnsandboxed` are read at each update, so tests change them. */
function publisherOn(sandbox: SandboxStatus = BUBBLEWRAP) {
  const world = { facts: { sandboxBlocked: false, startError: null, modelReady: true } as StateFacts, allowUnsandboxed: false };
  const errors: string[] = [];
  const logger: Logger = { debug() {}, info() {}, warn() {}, error: (message) => errors.push(message) };
  const initial = initialNodeState({
    sharing: true,
    address: "0x00000000000000000000000000000000000000aa",
    coordinatorUrl: "ws://127.0.0.1:1/v1/node",
    demo: true,
    sandbox,
    decision: SHARE,
    wallet: { state: "ready", reason: null, store: "memory", phraseKind: "bip39" },
  });
  const publisher = new NodeStatePublisher({ initial, sandbox, allowUnsandboxed: () => world.allowUnsandboxed, facts: () => world.facts, logger });
  return { publisher, world, errors };
}

describe("NodeStatePublisher", () => {
  it("pushes each snapshot with the activity and reason derived from the patched state and the facts", () => {
    const { publisher, world } = publisherOn();
    const seen: NodeState[] = [];
    publisher.listen((state) => seen.push(state));

    publisher.noteConnection("the coordinator went away");
    publisher.update({});
    expect(seen.at(-1)).toMatchObject({ activity: "connecting", reason: "Connecting: the coordinator went away" });

    publisher.update({ coordinator: { url: "ws://127.0.0.1:1/v1/node", connected: true } });
    expect(seen.at(-1)).toMatchObject({ activity: "ready", reason: "Ready: waiting for jobs" });

    publisher.update({ currentJob: { jobId: "job_1", model: "tiny", startedAt: 1, completionTokens: 0, elapsedMs: 0 } });
    expect(seen.at(-1)).toMatchObject({ activity: "earning", reason: "Earning: serving a job for tiny" });

    // An empty patch re-derives after a fact changed.
    world.facts = { ...world.facts, startError: "the model file is damaged" };
    publisher.update({});
    expect(seen.at(-1)).toMatchObject({ activity: "error", reason: "Error: the model file is damaged" });

    publisher.update({ sharing: false });
    expect(seen.at(-1)).toMatchObject({ activity: "error", sharing: false });
    world.facts = { ...world.facts, startError: null };
    publisher.update({});
    expect(seen.at(-1)).toMatchObject({ activity: "off", reason: "Off: sharing is switched off" });

    expect(seen).toHaveLength(6);
    expect(publisher.state).toBe(seen.at(-1));
  });

  it("gives the worker's and the wallet's trouble as the reason", () => {
    const { publisher } = publisherOn();
    publisher.update({ worker: { state: "restarting", reason: "the worker crashed; restarting in 2 s" } });
    expect(publisher.state).toMatchObject({ activity: "error", reason: "Error: the worker crashed; restarting in 2 s" });
    publisher.update({ wallet: { state: "locked", reason: "Keychain locked: unlock it to earn", store: "memory", phraseKind: null } });
    expect(publisher.state).toMatchObject({ activity: "error", reason: "Keychain locked: unlock it to earn" });
    publisher.update({ wallet: { state: "damaged", reason: null, store: "memory", phraseKind: null } });
    expect(publisher.state.reason).toBe("The wallet is not open");
  });

  it("derives the sandbox warnings from the owner's setting as it stands at each update", () => {
    const none = publisherOn({ kind: "none", active: false, detail: "no sandbox on this system" });
    none.publisher.update({});
    expect(none.publisher.state.warnings).toEqual([]);
    expect(none.publisher.state.activity).toBe("connecting");
    none.world.allowUnsandboxed = true;
    none.publisher.update({ warnings: [] });
    expect(none.publisher.state.warnings).toEqual([UNSANDBOXED_WARNING]);
    none.world.facts = { ...none.world.facts, sandboxBlocked: true };
    none.publisher.update({});
    expect(none.publisher.state).toMatchObject({ activity: "error", reason: expect.stringContaining("cannot be sandboxed here (no sandbox on this system)") as unknown });

    const windows = publisherOn({ kind: "job-object", active: true, detail: "job object" });
    windows.publisher.update({});
    expect(windows.publisher.state.warnings).toEqual([PARTIAL_SANDBOX_WARNING]);
  });

  it("stops calling a listener once it unsubscribes, and keeps the others when one throws", () => {
    const { publisher, errors } = publisherOn();
    const first: string[] = [];
    const second: string[] = [];
    const stopFirst = publisher.listen((state) => first.push(state.reason));
    publisher.listen(() => {
      throw new Error("the window is closed");
    });
    publisher.listen((state) => second.push(state.reason));

    publisher.noteConnection("dialing");
    publisher.update({});
    stopFirst();
    publisher.update({ coordinator: { url: "ws://127.0.0.1:1/v1/node", connected: true } });

    expect(first).toEqual(["Connecting: dialing"]);
    expect(second).toEqual(["Connecting: dialing", "Ready: waiting for jobs"]);
    expect(errors).toEqual(["state listener failed", "state listener failed"]);
  });

  it("names the worker's trouble only in the states that are trouble", () => {
    expect(workerProblemOf({ state: "failed", reason: null })).toBe("failed");
    expect(workerProblemOf({ state: "quarantined", reason: "crashed 3 times in 4 minutes" })).toBe("crashed 3 times in 4 minutes");
    expect(workerProblemOf({ state: "ready", reason: null })).toBeNull();
    expect(workerProblemOf({ state: "unloaded", reason: null })).toBeNull();
  });
});
