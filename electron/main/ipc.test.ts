import { beforeEach, describe, expect, it } from "vitest";
import { IPC_CHANNELS, type ControlMethod } from "../../shared/control-api";
import { silentLogger } from "../../shared/logger";
import { createFakeElectron, type FakeElectron } from "../../tests/fake-electron/electron";
import { FakeControlApi } from "../../tests/fake-electron/fake-control-api";
import { SAMPLE_PHRASE } from "../../tests/fake-electron/fake-wallet";
import { CONTROL_METHODS, FOREIGN_SENDER_ERROR, isOwnWindowSender, registerControlIpc, type ControlIpcOptions } from "./ipc";

const PAGE_URL = "file:///app/dist/renderer/index.html";
const OWN = { webContentsId: 7, frameUrl: `${PAGE_URL}#/models` };
const FOREIGN = [
  { webContentsId: 8, frameUrl: PAGE_URL },
  { webContentsId: 7, frameUrl: "https://evil.example/" },
  { webContentsId: 7, frameUrl: PAGE_URL, subframe: true },
];

/** A valid argument list for each channel (against the fake's models and downloads). */
const VALID: Record<ControlMethod, unknown[]> = {
  getState: [],
  setSharing: [true],
  getSettings: [],
  updateSettings: [{ idleUnloadMinutes: 5 }],
  listModels: [],
  pullModel: ["qwen2.5-0.5b-instruct-q4_k_m"],
  cancelDownload: ["download-1"],
  removeModel: ["spare"],
  useModel: ["spare"],
  pause: [Date.now() + 3_600_000],
  resume: [],
  getDiagnostics: [],
  getWithdrawalTerms: [],
  withdraw: [{ to: "0x90F8bf6A479f320ead074411a4B0e7944Ea8c9C1", amountMicroUsd: 5_000_000 }],
  listWithdrawals: [],
  appeal: ["The GPU driver was updated that night."],
  getEarnings: ["7d"],
  getWallet: [],
  unlockWallet: [],
  backupWallet: [true],
  restoreWallet: [{ phrase: SAMPLE_PHRASE, confirm: false }],
  showLogs: [],
  exportLogs: [],
};

/** Argument lists each channel must refuse, with the error it answers. */
const INVALID: Record<ControlMethod, { args: unknown[]; error: RegExp }[]> = {
  getState: [{ args: ["extra"], error: /getState takes no argument/ }],
  setSharing: [
    { args: ["yes"], error: /setSharing expects true or false/ },
    { args: [], error: /setSharing expects true or false/ },
  ],
  getSettings: [{ args: [1], error: /getSettings takes no argument/ }],
  updateSettings: [
    { args: [{ parallelSequences: 0 }], error: /updateSettings expects .*parallelSequences/ },
    { args: [{ walletKey: "x" }], error: /updateSettings expects/ },
    { args: ["contextSize=1"], error: /updateSettings expects/ },
  ],
  listModels: [{ args: [{}], error: /listModels takes no argument/ }],
  pullModel: [
    { args: [""], error: /pullModel expects/ },
    { args: ["x".repeat(2001)], error: /pullModel expects/ },
    { args: [{ ref: "hf:a/b/c" }], error: /pullModel expects/ },
  ],
  cancelDownload: [{ args: [42], error: /cancelDownload expects a download id/ }],
  removeModel: [{ args: [null], error: /removeModel expects a model id/ }],
  useModel: [{ args: [["spare"]], error: /useModel expects a model id/ }],
  pause: [
    { args: ["in an hour"], error: /pause expects the time the pause ends/ },
    { args: [1.5], error: /pause expects the time the pause ends/ },
    { args: [-1], error: /pause expects the time the pause ends/ },
    { args: [], error: /pause expects the time the pause ends/ },
  ],
  resume: [{ args: [true], error: /resume takes no argument/ }],
  getDiagnostics: [{ args: ["now"], error: /getDiagnostics takes no argument/ }],
  getWithdrawalTerms: [{ args: [1], error: /getWithdrawalTerms takes no argument/ }],
  withdraw: [
    { args: [], error: /withdraw expects \{to, amountMicroUsd\}/ },
    { args: [{ to: "0x90F8bf6A479f320ead074411a4B0e7944Ea8c9C1", amountMicroUsd: 12.5 }], error: /withdraw expects/ },
    { args: ["0x90F8bf6A479f320ead074411a4B0e7944Ea8c9C1"], error: /withdraw expects/ },
  ],
  listWithdrawals: [{ args: ["all"], error: /listWithdrawals takes no argument/ }],
  appeal: [
    { args: [], error: /appeal expects the owner's statement/ },
    { args: [{ text: "hi" }], error: /appeal expects the owner's statement/ },
  ],
  getEarnings: [
    { args: ["1y"], error: /getEarnings expects a period/ },
    { args: [], error: /getEarnings expects a period/ },
  ],
  getWallet: [{ args: [1], error: /getWallet takes no argument/ }],
  unlockWallet: [{ args: ["pw"], error: /unlockWallet takes no argument/ }],
  backupWallet: [
    { args: [], error: /backupWallet needs the owner's confirmation/ },
    { args: [false], error: /backupWallet needs the owner's confirmation/ },
    { args: ["yes"], error: /backupWallet needs the owner's confirmation/ },
  ],
  restoreWallet: [
    { args: [SAMPLE_PHRASE], error: /restoreWallet expects \{ phrase, confirm \}/ },
    { args: [{ phrase: SAMPLE_PHRASE }], error: /restoreWallet expects/ },
    { args: [{ phrase: "", confirm: true }], error: /restoreWallet expects/ },
  ],
  showLogs: [{ args: ["/"], error: /showLogs takes no argument/ }],
  exportLogs: [{ args: ["/tmp/out.txt"], error: /exportLogs takes no argument/ }],
};

let fake: FakeElectron;
let control: FakeControlApi;
let pushed: { channel: string; args: unknown[] }[];
let stop: () => void;

/** Every call the fake agent recorded, to prove a refused call never reached it. */
const agentCalls = () =>
  [
    control.sharingCalls,
    control.settingsCalls,
    control.pullCalls,
    control.cancelCalls,
    control.removeCalls,
    control.useCalls,
    control.pauseCalls,
    control.wallet.backupCalls,
    control.wallet.restoreCalls,
    control.withdrawals.calls,
    control.logCalls,
  ].flat();

beforeEach(async () => {
  fake = createFakeElectron();
  control = new FakeControlApi();
  control.setModels({
    ...control.modelsView,
    installed: [...control.modelsView.installed, { id: "spare", name: "Spare", path: "/models/spare.gguf", bytes: 1024, active: false, demo: false }],
  });
  await control.pullModel("llama-3.2-3b-instruct-q4_k_m");
  control.pullCalls.length = 0;
  // The log methods answer as in the desktop app (headless they refuse, which another test shows).
  control.logExportPath = "/downloads/offpeak-logs.txt";
  pushed = [];
  stop = registerControlIpc({
    // The fake registers handlers the way Electron does; its parameter types are looser.
    ipcMain: fake.module.ipcMain as unknown as ControlIpcOptions["ipcMain"],
    control,
    isTrustedSender: (event) => isOwnWindowSender(event, { webContentsId: 7, pageUrl: PAGE_URL }),
    target: () => ({ send: (channel: string, ...args: unknown[]) => pushed.push({ channel, args }), isDestroyed: () => false }),
    logger: silentLogger,
  });
});

describe("control IPC", () => {
  it("registers one handler per method of the contract and removes them all", () => {
    expect(fake.handlerChannels().sort()).toEqual(CONTROL_METHODS.map((m) => IPC_CHANNELS[m]).sort());
    // Every channel but the state push is a method.
    expect(CONTROL_METHODS).toHaveLength(Object.keys(IPC_CHANNELS).length - 1);
    stop();
    expect(fake.handlerChannels()).toEqual([]);
  });

  for (const method of Object.keys(VALID) as ControlMethod[]) {
    it(`${method}: answers the app's own window and refuses foreign senders and bad payloads`, async () => {
      for (const sender of FOREIGN) {
        expect(await fake.invoke(IPC_CHANNELS[method], sender, ...VALID[method])).toEqual({ ok: false, error: FOREIGN_SENDER_ERROR });
      }
      for (const bad of INVALID[method]) {
        const reply = await fake.invoke(IPC_CHANNELS[method], OWN, ...bad.args);
        expect(reply, JSON.stringify(bad.args).slice(0, 40)).toMatchObject({ ok: false, error: expect.stringMatching(bad.error) });
      }
      expect(agentCalls()).toEqual([]);
      expect(await fake.invoke(IPC_CHANNELS[method], OWN, ...VALID[method])).toMatchObject({ ok: true });
    });
  }

  it("carries each call's effect to the agent", async () => {
    await fake.invoke(IPC_CHANNELS.updateSettings, OWN, { allowUnsandboxed: true });
    expect(control.settingsCalls).toEqual([{ allowUnsandboxed: true }]);
    expect(control.settings).toMatchObject({ allowUnsandboxed: true, idleUnloadMinutes: 15 });
    expect(await fake.invoke(IPC_CHANNELS.listModels, OWN)).toMatchObject({ ok: true, value: { catalog: [{ verdict: "fits" }, {}, {}] } });
    await fake.invoke(IPC_CHANNELS.cancelDownload, OWN, "download-1");
    expect(control.state.downloads[0]?.state).toBe("cancelled");
    expect(await fake.invoke(IPC_CHANNELS.useModel, OWN, "spare")).toMatchObject({ ok: true, value: { model: { id: "spare" } } });
    expect(await fake.invoke(IPC_CHANNELS.removeModel, OWN, "spare")).toMatchObject({ ok: false, error: expect.stringContaining("being served") });
  });

  it("pauses, resumes and reads the diagnostics through the bridge", async () => {
    await fake.invoke(IPC_CHANNELS.setSharing, OWN, true);
    const until = new Date(2031, 4, 6, 14, 30).getTime();
    control.now = () => new Date(2031, 4, 6, 13, 30).getTime();
    expect(await fake.invoke(IPC_CHANNELS.pause, OWN, until)).toMatchObject({
      ok: true,
      value: { activity: "paused", decision: { share: false, reason: "Paused until 14:30", nextChangeAt: until } },
    });
    expect(control.settings.rules.pausedUntil).toBe(until);
    expect(await fake.invoke(IPC_CHANNELS.getDiagnostics, OWN)).toMatchObject({
      ok: true,
      value: { node: { share: false, reason: "Paused until 14:30" }, coordinator: { otherNodes: 3 } },
    });
    expect(await fake.invoke(IPC_CHANNELS.resume, OWN)).toMatchObject({ ok: true, value: { activity: "ready", decision: { share: true } } });
    expect(control.pauseCalls).toEqual([until, "resume"]);
  });

  it("pushes every state change to the window, and stops when removed", () => {
    control.update({ warnings: ["Running without a sandbox"] });
    expect(pushed.at(-1)).toMatchObject({ channel: IPC_CHANNELS.state, args: [{ warnings: ["Running without a sandbox"] }] });
    stop();
    const count = pushed.length;
    control.update({ warnings: [] });
    expect(pushed).toHaveLength(count);
  });

  it("answers with a readable error when the agent throws", async () => {
    control.getSettings = () => Promise.reject(new Error("disk on fire"));
    expect(await fake.invoke(IPC_CHANNELS.getSettings, OWN)).toEqual({ ok: false, error: "The node could not do that." });
  });
});
