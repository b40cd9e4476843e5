import { describe, expect, it } from "vitest";
import { sampleNodeState } from "../tests/fake-electron/fake-control-api";
import { NOT_AVAILABLE, NOT_READ_YET, signalRows } from "./signal-rows";

describe("signal rows", () => {
  it("shows sampled values and says which signals this platform does not offer", () => {
    const { latest, available } = sampleNodeState().signals;
    const rows = Object.fromEntries(signalRows(latest, available).map((r) => [r.key, r.value]));
    expect(rows).toEqual({
      idle: "Idle for 7 min",
      battery: NOT_AVAILABLE,
      thermal: NOT_AVAILABLE,
      game: "No game running",
      "own-app": "None of them is running",
      fullscreen: NOT_AVAILABLE,
      gpu: NOT_AVAILABLE,
      memory: "5 GB",
    });
  });

  it("names what is running and never invents a value it did not read", () => {
    const { latest, available } = sampleNodeState().signals;
    if (latest === null) throw new Error("the sample has signals");
    const all = { idle: true, battery: true, thermal: true, processes: true, fullscreen: true, gpu: true, memory: true };
    const busy = signalRows(
      { ...latest, idleSeconds: 5, onBattery: true, thermal: "serious", game: { name: "Cyberpunk 2077", source: "steam" }, fullscreenKnown: true, fullscreenApp: "VLC", gpuKnown: true, gpuBusyBy: "blender" },
      all,
    ).map((r) => r.value);
    expect(busy).toEqual([
      "In use now",
      "On battery",
      "Hot",
      "Cyberpunk 2077 is running (found through Steam)",
      "None of them is running",
      "VLC is fullscreen",
      "In use by blender",
      "5 GB",
    ]);
    expect(signalRows(null, available).filter((r) => r.known)).toEqual([]);
    expect(signalRows(null, all).map((r) => r.value)).toEqual(Array(8).fill(NOT_READ_YET));
    expect(signalRows({ ...latest, processesKnown: false }, all).find((r) => r.key === "game")).toMatchObject({ value: "could not read the running apps", known: false });
  });
});
