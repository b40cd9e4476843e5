import { beforeEach, describe, expect, it, vi } from "vitest";
import { IPC_CHANNELS, type ControlApi, type ControlMethod, type NodeState } from "../../shared/control-api";
import { DEFAULT_SETTINGS } from "../../shared/settings";
import { createFakeElectron, type FakeElectron } from "../../tests/fake-electron/electron";
import { sampleCatalog, sampleDiagnostics, sampleInstalled, sampleNodeState } from "../../tests/fake-electron/fake-control-api";
import { SAMPLE_ADDRESS, SAMPLE_PHRASE, sampleWalletStatus } from "../../tests/fake-electron/fake-wallet";
import type { BAD_REPLY_ERROR as BadReplyError, createBridge as CreateBridge } from "./preload";
import { sampleWithdrawalTerms } from "../../tests/fake-electron/fake-withdrawals";

const SAMPLE_WITHDRAWAL = {
  id: "wd_1",
  to: SAMPLE_ADDRESS,
  amountMicroUsd: 5_000_000,
  feeMicroUsd: 100_000,
  status: "sent",
  txHash: `0x${"ab".repeat(32)}`,
  failureReason: null,
  chainId: 8453,
  createdAt: 1_750_000_000_000,
  updatedAt: 1_750_000_060_000,
};

let fake: FakeElectron;
let BAD_REPLY_ERROR: typeof BadReplyError;
let createBridge: typeof CreateBridge;

beforeEach(async () => {
  fake = createFakeElectron();
  vi.resetModules();
  vi.doMock("electron", () => fake.module);
  ({ BAD_REPLY_ERROR, createBridge } = await import("./preload"));
});

const api = () => fake.exposed.get("offpeak") as ControlApi;

/** Each method: how the page calls it, what reaches its channel, a valid value and a broken one. */
const CASES: { method: ControlMethod; call: (a: ControlApi) => Promise<unknown>; args: unknown[]; value: unknown; bad: unknown }[] = [
  { method: "getState", call: (a) => a.getState(), args: [], value: sampleNodeState(), bad: { sharing: true } },
  { method: "setSharing", call: (a) => a.setSharing(true), args: [true], value: sampleNodeState(), bad: null },
  { method: "getSettings", call: (a) => a.getSettings(), args: [], value: DEFAULT_SETTINGS, bad: { ...DEFAULT_SETTINGS, contextSize: 1 } },
  { method: "updateSettings", call: (a) => a.updateSettings({ parallelSequences: 2 }), args: [{ parallelSequences: 2 }], value: DEFAULT_SETTINGS, bad: [] },
  {
    method: "listModels",
    call: (a) => a.listModels(),
    args: [],
    value: { installed: sampleInstalled(), catalog: sampleCatalog() },
    bad: { installed: [], catalog: [{ id: "x", verdict: "maybe" }] },
  },
  { method: "pullModel", call: (a) => a.pullModel("hf:o/r/f.gguf"), args: ["hf:o/r/f.gguf"], value: null, bad: "started" },
  { method: "cancelDownload", call: (a) => a.cancelDownload("download-1"), args: ["download-1"], value: null, bad: 0 },
  { method: "removeModel", call: (a) => a.removeModel("m1"), args: ["m1"], value: null, bad: {} },
  { method: "useModel", call: (a) => a.useModel("m1"), args: ["m1"], value: sampleNodeState(), bad: DEFAULT_SETTINGS },
  {
    method: "pause",
    call: (a) => a.pause(1_900_000_000_000),
    args: [1_900_000_000_000],
    value: sampleNodeState({ activity: "paused", reason: "Paused until 14:30" }),
    bad: { ...sampleNodeState(), decision: { share: false } },
  },
  { method: "resume", call: (a) => a.resume(), args: [], value: sampleNodeState(), bad: { ...sampleNodeState(), signals: null } },
  {
    method: "getDiagnostics",
    call: (a) => a.getDiagnostics(),
    args: [],
    value: { node: { share: false, reason: "Paused until 14:30" }, coordinator: sampleDiagnostics() },
    bad: { node: { share: false, reason: "Paused" }, coordinator: { ...sampleDiagnostics(), jobsLastHour: -1 } },
  },
  {
    method: "getWithdrawalTerms",
    call: (a) => a.getWithdrawalTerms(),
    args: [],
    value: sampleWithdrawalTerms(SAMPLE_ADDRESS),
    bad: { ...sampleWithdrawalTerms(SAMPLE_ADDRESS), feeMicroUsd: 0.5 },
  },
  {
    method: "withdraw",
    call: (a) => a.withdraw({ to: SAMPLE_ADDRESS, amountMicroUsd: 5_000_000 }),
    args: [{ to: SAMPLE_ADDRESS, amountMicroUsd: 5_000_000 }],
    value: SAMPLE_WITHDRAWAL,
    bad: { ...SAMPLE_WITHDRAWAL, status: "pending" },
  },
  { method: "listWithdrawals", call: (a) => a.listWithdrawals(), args: [], value: [SAMPLE_WITHDRAWAL], bad: [{ id: "wd_1" }] },
  {
    method: "appeal",
    call: (a) => a.appeal("The driver was updated."),
    args: ["The driver was updated."],
    value: { id: "7", status: "open", statement: "The driver was updated.", createdAt: 1, decidedAt: null, reason: null },
    bad: { id: "7", status: "pending" },
  },
  { method: "getWallet", call: (a) => a.getWallet(), args: [], value: { ...sampleWalletStatus(), address: SAMPLE_ADDRESS }, bad: { address: SAMPLE_ADDRESS } },
  {
    method: "unlockWallet",
    call: (a) => a.unlockWallet(),
    args: [],
    value: { ...sampleWalletStatus({ state: "locked", reason: "Keychain locked: unlock it to earn" }), address: null },
    bad: { ...sampleWalletStatus({ state: "asleep" as never }), address: null },
  },
  {
    method: "backupWallet",
    call: (a) => a.backupWallet(true),
    args: [true],
    value: { address: SAMPLE_ADDRESS, phrase: SAMPLE_PHRASE, kind: "bip39" },
    bad: { address: SAMPLE_ADDRESS, phrase: SAMPLE_PHRASE, kind: "seed" },
  },
  {
    method: "restoreWallet",
    call: (a) => a.restoreWallet({ phrase: SAMPLE_PHRASE, confirm: false }),
    args: [{ phrase: SAMPLE_PHRASE, confirm: false }],
    value: { address: SAMPLE_ADDRESS, previousAddress: null, kind: "bip39", replaced: false },
    bad: { address: SAMPLE_ADDRESS, replaced: "no" },
  },
];

describe("preload bridge", () => {
  it("exposes exactly the ControlApi methods as window.offpeak", () => {
    expect([...fake.exposed.keys()]).toEqual(["offpeak"]);
    expect(Object.keys(api()).sort()).toEqual(
      [
        "cancelDownload",
        "getDiagnostics",
        "getEarnings",
        "getWithdrawalTerms",
        "withdraw",
        "listWithdrawals",
        "appeal",
        "getSettings",
        "getState",
        "getWallet",
        "unlockWallet",
        "backupWallet",
        "restoreWallet",
        "listModels",
        "showLogs",
        "exportLogs",
        "onState",
        "pause",
        "pullModel",
        "removeModel",
        "resume",
        "setSharing",
        "updateSettings",
        "useModel",
      ].sort(),
    );
    expect(Object.values(api()).every((v) => typeof v === "function")).toBe(true);
  });

  it("calls each method on its own channel with its argument and returns the checked answer", async () => {
    const received: { channel: string; args: unknown[] }[] = [];
    for (const entry of CASES) {
      fake.module.ipcMain.handle(IPC_CHANNELS[entry.method], (_event, ...args) => {
        received.push({ channel: IPC_CHANNELS[entry.method], args });
        return { ok: true, value: entry.value };
      });
    }
    for (const entry of CASES) {
      expect(await entry.call(api()), entry.method).toEqual({ ok: true, value: entry.value });
      expect(received.at(-1), entry.method).toEqual({ channel: IPC_CHANNELS[entry.method], args: entry.args });
    }
  });

  it("refuses answers that break the method's schema and passes refusals on", async () => {
    for (const entry of CASES) {
      fake.module.ipcMain.handle(IPC_CHANNELS[entry.method], () =>
        entry.method === "removeModel" ? { ok: false, error: "This model is being served" } : { ok: true, value: entry.bad },
      );
    }
    for (const entry of CASES) {
      const expected = entry.method === "removeModel" ? "This model is being served" : BAD_REPLY_ERROR;
      expect(await entry.call(api()), entry.method).toEqual({ ok: false, error: expected });
    }
  });

  it("fails a call whose handler is missing or never answers", async () => {
    expect(await api().getSettings()).toEqual({ ok: false, error: "Offpeak could not be reached." });
    const bridge = createBridge({ invoke: () => new Promise(() => {}), on: () => undefined, removeListener: () => undefined } as never, { callTimeoutMs: 50 });
    expect(await bridge.listModels()).toEqual({ ok: false, error: "Offpeak did not answer in time." });
  });

  it("passes pushed states that match the contract and drops the rest", () => {
    const seen: NodeState[] = [];
    const stop = api().onState((s) => seen.push(s));
    fake.sendToRenderer(IPC_CHANNELS.state, { sharing: "maybe" });
    fake.sendToRenderer(IPC_CHANNELS.state, sampleNodeState({ activity: "ready", warnings: ["Running without a sandbox"] }));
    stop();
    fake.sendToRenderer(IPC_CHANNELS.state, sampleNodeState({ activity: "earning" }));
    expect(seen.map((s) => [s.activity, s.warnings])).toEqual([["ready", ["Running without a sandbox"]]]);
  });
});
