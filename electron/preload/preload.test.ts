import { beforeEach, describe, expect, it, vi } from "vitest";
import { IPC_CHANNELS, type ControlApi, type NodeState } from "../../shared/control-api";
import { createFakeElectron, type FakeElectron } from "../../tests/fake-electron/electron";
import { sampleNodeState } from "../../tests/fake-electron/fake-control-api";

let fake: FakeElectron;

beforeEach(async () => {
  fake = createFakeElectron();
  vi.resetModules();
  vi.doMock("electron", () => fake.module);
  await import("./preload");
});

describe("preload bridge", () => {
  it("exposes exactly getState, setSharing and onState as window.offpeak", () => {
    const api = fake.exposed.get("offpeak") as ControlApi;
    expect([...fake.exposed.keys()]).toEqual(["offpeak"]);
    expect(Object.keys(api).sort()).toEqual(["getState", "onState", "setSharing"]);
  });

  it("passes pushed states that match the contract and drops the rest", () => {
    const api = fake.exposed.get("offpeak") as ControlApi;
    const seen: NodeState[] = [];
    const stop = api.onState((s) => seen.push(s));
    fake.sendToRenderer(IPC_CHANNELS.state, { sharing: "maybe" });
    fake.sendToRenderer(IPC_CHANNELS.state, sampleNodeState({ activity: "ready" }));
    stop();
    fake.sendToRenderer(IPC_CHANNELS.state, sampleNodeState({ activity: "earning" }));
    expect(seen.map((s) => s.activity)).toEqual(["ready"]);
  });
});
