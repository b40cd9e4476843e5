import { describe, expect, it } from "vitest";
import type { CatalogModelView, NodeState } from "../../shared/control-api";
import { sampleCatalog, sampleInstalled, sampleNodeState } from "../../tests/fake-electron/fake-control-api";
import { defaultChoice, hardwareVerdict, modelChoices, nextStep } from "./onboarding-model";

const GB = 1024 ** 3;
const gpu: NodeState["hardware"] = { backend: "metal", gpu: "Apple M2 Pro", cpu: "Apple M2 Pro", memoryBytes: 32 * GB, vramBytes: null, backendReason: "Metal" };
const model = (verdict: CatalogModelView["verdict"], id: string = verdict): CatalogModelView => ({
  id,
  name: `Model ${id}`,
  sizeBytes: 2 * GB,
  quantization: "Q4_K_M",
  licence: "Apache-2.0",
  minMemoryBytes: 3 * GB,
  verdict,
  verdictReason: `${verdict} reason`,
  installed: false,
});

describe("the setup's hardware verdict", () => {
  it("waits for the hardware and the catalog", () => {
    expect(hardwareVerdict(null, []).tone).toBe("unknown");
    expect(hardwareVerdict(gpu, null).tone).toBe("unknown");
  });

  it("is good when some model runs well, naming the GPU and backend", () => {
    expect(hardwareVerdict(gpu, [model("fits"), model("fits", "b"), model("does-not-fit")])).toEqual({
      tone: "good",
      title: "Good for sharing: 2 models run well here.",
      detail: "Apple M2 Pro through Metal, 32 GB of memory.",
    });
  });

  it("says plainly when models only run on the processor, and why", () => {
    const cpu = sampleNodeState().hardware;
    const verdict = hardwareVerdict(cpu, [model("fits-slowly"), model("does-not-fit")]);
    expect(verdict.tone).toBe("ok");
    expect(verdict.title).toBe("It works, slowly: models run on the processor.");
    expect(verdict.detail).toContain("No supported GPU found; using the CPU");
  });

  it("says when nothing in the catalog fits", () => {
    expect(hardwareVerdict(gpu, [model("does-not-fit")])).toMatchObject({ tone: "poor", title: "Too small for the catalog's models." });
    expect(hardwareVerdict(gpu, [])).toMatchObject({ tone: "poor" });
  });
});

describe("the models the setup offers", () => {
  it("lists the installed models, then catalog models that fit (best first), and counts the rest", () => {
    const { choices, hidden } = modelChoices({ installed: sampleInstalled(), catalog: [model("fits-slowly", "slow"), model("does-not-fit", "big"), model("fits", "good")] });
    expect(choices.map((c) => [c.kind, c.id])).toEqual([
      ["installed", "offpeak-demo-tiny"],
      ["catalog", "good"],
      ["catalog", "slow"],
    ]);
    expect(hidden).toBe(1);
    expect(choices[0]?.note).toMatch(/^Served now · .* · demo model, earns little$/);
    expect(defaultChoice(choices)).toBe("good");
  });

  it("leaves installed catalog models out of the downloads and keeps the served model when nothing fits", () => {
    const catalog = sampleCatalog().map((m) => ({ ...m, verdict: "does-not-fit" as const }));
    const { choices } = modelChoices({ installed: sampleInstalled(), catalog });
    expect(choices.map((c) => c.id)).toEqual(["offpeak-demo-tiny"]);
    expect(defaultChoice(choices)).toBe("offpeak-demo-tiny");
    expect(defaultChoice([])).toBeNull();
  });
});

describe("the setup's steps", () => {
  it("go forward and back, and stop at either end", () => {
    expect(nextStep("welcome", 1)).toBe("hardware");
    expect(nextStep("hardware", -1)).toBe("welcome");
    expect(nextStep("welcome", -1)).toBeNull();
    expect(nextStep("start", 1)).toBeNull();
  });
});
