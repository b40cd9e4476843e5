/**
 * The window's preload: exposes exactly {@link ControlApi} as `window.offpeak` — one named
 * function per method over its IPC channel, never ipcRenderer itself. Every answer is checked
 * against the method's schema in `controlResultSchemas`, and pushed states against the state
 * schema, before the page sees them; a call that gets no answer in time fails.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from "electron";
import { z } from "zod";
import { controlResultSchemas, IPC_CHANNELS, nodeStateSchema, type ControlApi, type ControlMethod, type Result } from "../../shared/control-api";
import type { ControlValue } from "../../shared/control-dispatch";

const replySchema = z.union([z.object({ ok: z.literal(true), value: z.unknown() }), z.object({ ok: z.literal(false), error: z.string() })]);

/** The answer a page gets when the main process sent something outside the contract. */
export const BAD_REPLY_ERROR = "Offpeak sent an answer this window does not understand.";

export interface BridgeOptions {
  /** How long a call may wait for its answer (ms). */
  readonly callTimeoutMs?: number;
}

type BridgeIpc = Pick<typeof ipcRenderer, "invoke" | "on" | "removeListener">;

/** Builds the bridged API over an ipcRenderer (injected for tests). */
export function createBridge(ipc: BridgeIpc, options: BridgeOptions = {}): ControlApi {
  const callTimeoutMs = options.callTimeoutMs ?? 30_000;

  async function call<M extends ControlMethod>(method: M, ...args: unknown[]): Promise<Result<ControlValue<M>>> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), callTimeoutMs);
    });
    try {
      const raw: unknown = await Promise.race([ipc.invoke(IPC_CHANNELS[method], ...args), timeout]);
      if (raw === "timeout") return { ok: false, error: "Offpeak did not answer in time." };
      const reply = replySchema.safeParse(raw);
      if (!reply.success) return { ok: false, error: BAD_REPLY_ERROR };
      if (!reply.data.ok) return { ok: false, error: reply.data.error };
      const value = controlResultSchemas[method].safeParse(reply.data.value);
      if (!value.success) return { ok: false, error: BAD_REPLY_ERROR };
      return { ok: true, value: value.data as ControlValue<M> };
    } catch {
      return { ok: false, error: "Offpeak could not be reached." };
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    getState: () => call("getState"),
    setSharing: (on) => call("setSharing", on),
    getSettings: () => call("getSettings"),
    updateSettings: (patch) => call("updateSettings", patch),
    listModels: () => call("listModels"),
    pullModel: (ref) => call("pullModel", ref),
    cancelDownload: (id) => call("cancelDownload", id),
    removeModel: (id) => call("removeModel", id),
    useModel: (id) => call("useModel", id),
    pause: (until) => call("pause", until),
    resume: () => call("resume"),
    getDiagnostics: () => call("getDiagnostics"),
    getEarnings: (range) => call("getEarnings", range),
    getWithdrawalTerms: () => call("getWithdrawalTerms"),
    withdraw: (request) => call("withdraw", request),
    listWithdrawals: () => call("listWithdrawals"),
    appeal: (statement) => call("appeal", statement),
    getWallet: () => call("getWallet"),
    unlockWallet: () => call("unlockWallet"),
    backupWallet: (confirm) => call("backupWallet", confirm),
    restoreWallet: (request) => call("restoreWallet", request),
    showLogs: () => call("showLogs"),
    exportLogs: () => call("exportLogs"),
    onState(listener) {
      const handler = (_event: IpcRendererEvent, payload: unknown) => {
        const state = nodeStateSchema.safeParse(payload);
        if (state.success) listener(state.data);
      };
      ipc.on(IPC_CHANNELS.state, handler);
      return () => {
        ipc.removeListener(IPC_CHANNELS.state, handler);
      };
    },
  };
}

contextBridge.exposeInMainWorld("offpeak", createBridge(ipcRenderer));
