/**
 * Job admission: a job runs only while the owner shares, the sharing rules allow it, its model is
 * the one loaded and the engine has room; otherwise it is refused with the code and sentence the
 * coordinator passes on.
 */
import { describe, expect, it } from "vitest";
import type { SharingDecision } from "../../shared/sharing-types";
import { ScriptedEngine } from "./agent-fakes.fixture";
import { admitJob, type ServingFacts } from "./coordinator-inbox";
import type { EngineInfo } from "./inference";

const SHARE: SharingDecision = { share: true, reason: "Sharing: the computer is idle", nextChangeAt: null, pausedByOwner: false };
const engine = new ScriptedEngine();
const info = (capacity?: number): EngineInfo => ({
  ...(capacity === undefined ? {} : { capacity }),
  model: { id: "tiny", label: "Tiny", contextSize: 256, demo: true },
  hardware: { backend: "cpu", gpu: null, cpu: "test cpu", memoryBytes: 1 << 30, vramBytes: null },
});
/** A node sharing "tiny" with room for two jobs and none running; `change` alters one fact. */
const facts = (change: Partial<ServingFacts> = {}): ServingFacts => ({ ownerSharing: true, decision: SHARE, engine, info: info(2), running: 0, ...change });

describe("admitJob", () => {
  it("gives the engine for a job of the loaded model while there is room", () => {
    expect(admitJob({ model: "tiny" }, facts())).toEqual({ ok: true, engine });
    expect(admitJob({ model: "tiny" }, facts({ running: 1 }))).toEqual({ ok: true, engine });
  });

  it("refuses with node_yield when the owner is not sharing, before anything else", () => {
    const refused = { ok: false, code: "node_yield", message: "the owner is not sharing this machine now" };
    expect(admitJob({ model: "tiny" }, facts({ ownerSharing: false }))).toEqual(refused);
    expect(admitJob({ model: "other" }, facts({ ownerSharing: false, engine: null, info: null, running: 9 }))).toEqual(refused);
  });

  it("refuses with node_yield and the rules' own sentence when they say not to share", () => {
    const decision: SharingDecision = { share: false, reason: "Paused: on battery power", nextChangeAt: null, pausedByOwner: false };
    expect(admitJob({ model: "tiny" }, facts({ decision }))).toEqual({ ok: false, code: "node_yield", message: "Paused: on battery power" });
  });

  it("refuses with model_not_loaded for another model, or with no engine or model loaded", () => {
    const refused = (model: string) => ({ ok: false, code: "model_not_loaded", message: `model ${model} is not loaded here` });
    expect(admitJob({ model: "big" }, facts())).toEqual(refused("big"));
    expect(admitJob({ model: "tiny" }, facts({ engine: null }))).toEqual(refused("tiny"));
    expect(admitJob({ model: "tiny" }, facts({ info: null }))).toEqual(refused("tiny"));
  });

  it("refuses with busy once the running jobs fill the engine's capacity", () => {
    const busy = { ok: false, code: "busy", message: "the node is serving other jobs" };
    expect(admitJob({ model: "tiny" }, facts({ running: 2 }))).toEqual(busy);
    expect(admitJob({ model: "tiny" }, facts({ info: info(1), running: 1 }))).toEqual(busy);
    expect(admitJob({ model: "tiny" }, facts({ info: info(1), running: 0 }))).toEqual({ ok: true, engine });
    // An engine that does not say its capacity runs one job at a time.
    expect(admitJob({ model: "tiny" }, facts({ info: info(), running: 1 }))).toEqual(busy);
    expect(admitJob({ model: "tiny" }, facts({ info: info(), running: 0 }))).toEqual({ ok: true, engine });
  });
});
