import { describe, expect, it } from "vitest";
import { sampleNodeState } from "../tests/fake-electron/fake-control-api";
import { nodeProblems } from "./diagnostics-problems";

describe("node problems", () => {
  it("finds nothing when the node shares, is connected, has a model and a working sandboxed worker", () => {
    expect(nodeProblems(sampleNodeState({ sharing: true, activity: "ready", reason: "Ready: waiting for jobs" }))).toEqual([]);
  });

  it("names each thing on this machine that keeps jobs away", () => {
    const state = sampleNodeState({
      sharing: false,
      decision: { share: false, reason: "Paused until 14:30", nextChangeAt: 1, pausedByOwner: true },
      coordinator: { url: "wss://net.example/node", connected: false },
      model: null,
      worker: { state: "quarantined", reason: "crashed 3 times in 4 minutes" },
      sandbox: { kind: "none", active: false, detail: "bubblewrap is not installed" },
    });
    expect(nodeProblems(state)).toEqual([
      "The Share switch is off.",
      "Your rules say: Paused until 14:30.",
      "This node is not connected to the network (wss://net.example/node).",
      "No model is loaded.",
      "The inference worker was stopped after repeated crashes: crashed 3 times in 4 minutes.",
      "The sandbox is not running: bubblewrap is not installed.",
    ]);
  });
});
