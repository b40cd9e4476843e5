/**
 * The main process side of the preload bridge: one handler per {@link IPC_CHANNELS} method, each
 * refusing callers that are not the app's own window and payloads that fail the contract's
 * request schema, and answering with a {@link Result}. State snapshots are pushed to the window
 * on every change.
 */
import type { IpcMain, IpcMainInvokeEvent, WebContents } from "electron";
import {
  controlRequestSchema,
  controlResultSchemas,
  IPC_CHANNELS,
  type ControlApi,
  type ControlMethod,
  type Result,
} from "../../shared/control-api";
import { CONTROL_ARGUMENT, dispatchControlRequest } from "../../shared/control-dispatch";
import type { Logger } from "../../shared/logger";

/** The answer to a caller that is not the app's own window. */
export const FOREIGN_SENDER_ERROR = "This caller may not control Offpeak.";

/** What each method's argument must be, told to a caller that sent something else. */
const PAYLOAD_ERRORS: Readonly<Record<ControlMethod, string>> = {
  getState: "getState takes no argument.",
  setSharing: "setSharing expects true or false.",
  getSettings: "getSettings takes no argument.",
  updateSettings: "updateSettings expects an object of known settings with valid values",
  listModels: "listModels takes no argument.",
  pullModel: "pullModel expects a catalog id, an hf: URI or a URL.",
  cancelDownload: "cancelDownload expects a download id.",
  removeModel: "removeModel expects a model id.",
  useModel: "useModel expects a model id.",
  pause: "pause expects the time the pause ends, in epoch milliseconds.",
  resume: "resume takes no argument.",
  getDiagnostics: "getDiagnostics takes no argument.",
  getEarnings: 'getEarnings expects a period: "24h", "7d" or "30d".',
  getWithdrawalTerms: "getWithdrawalTerms takes no argument.",
  withdraw: "withdraw expects {to, amountMicroUsd}: an address and a whole, positive number of micro-USD.",
  listWithdrawals: "listWithdrawals takes no argument.",
  appeal: "appeal expects the owner's statement as text.",
  getWallet: "getWallet takes no argument.",
  unlockWallet: "unlockWallet takes no argument.",
  backupWallet: "backupWallet needs the owner's confirmation: true.",
  restoreWallet: "restoreWallet expects { phrase, confirm }.",
  showLogs: "showLogs takes no argument.",
  exportLogs: "exportLogs takes no argument.",
};

/** Every method the bridge carries, in the contract's order. */
export const CONTROL_METHODS = Object.keys(controlResultSchemas) as ControlMethod[];

export interface ControlIpcOptions {
  readonly ipcMain: Pick<IpcMain, "handle" | "removeHandler">;
  readonly control: ControlApi;
  /** True only for the app's own window (see {@link isOwnWindowSender}). */
  readonly isTrustedSender: (event: IpcMainInvokeEvent) => boolean;
  /** Where state snapshots are pushed (the window's webContents), or null while it is gone. */
  readonly target: () => Pick<WebContents, "send" | "isDestroyed"> | null;
  readonly logger: Logger;
}

/**
 * True when an IPC call comes from the main frame of `own` showing the app's page: the same
 * webContents and a frame whose URL is the renderer's file URL.
 */
export function isOwnWindowSender(
  event: Pick<IpcMainInvokeEvent, "sender" | "senderFrame">,
  own: { readonly webContentsId: number | null; readonly pageUrl: string },
): boolean {
  const frame = event.senderFrame;
  if (own.webContentsId === null || event.sender.id !== own.webContentsId || frame === null) return false;
  if (frame.parent !== null) return false;
  const url = frame.url.split("#")[0]?.split("?")[0];
  return url === own.pageUrl;
}

/** Checks one IPC call's arguments against the contract; a request ready to dispatch, or the error. */
function parseCall(method: ControlMethod, args: readonly unknown[]) {
  const field = CONTROL_ARGUMENT[method];
  if (field === null ? args.length > 0 : args.length !== 1) return { ok: false as const, error: PAYLOAD_ERRORS[method] };
  const frame = field === null ? { id: 0, method } : { id: 0, method, [field]: args[0] };
  const parsed = controlRequestSchema.safeParse(frame);
  if (parsed.success) return { ok: true as const, request: parsed.data };
  if (method !== "updateSettings") return { ok: false as const, error: PAYLOAD_ERRORS[method] };
  const issue = parsed.error.issues[0];
  const where = issue?.path.slice(1).join(".") ?? "";
  return { ok: false as const, error: `${PAYLOAD_ERRORS[method]}${where === "" ? "." : `: ${where}: ${issue?.message ?? "bad value"}.`}` };
}

/** Registers the handlers and the state push; returns a function that removes them. */
export function registerControlIpc(options: ControlIpcOptions): () => void {
  const { ipcMain, control, isTrustedSender, logger } = options;

  for (const method of CONTROL_METHODS) {
    const channel = IPC_CHANNELS[method];
    ipcMain.handle(channel, async (event: IpcMainInvokeEvent, ...args: unknown[]): Promise<Result<unknown>> => {
      if (!isTrustedSender(event)) {
        logger.warn("refused IPC from an unknown sender", { channel });
        return { ok: false, error: FOREIGN_SENDER_ERROR };
      }
      const call = parseCall(method, args);
      if (!call.ok) return { ok: false, error: call.error };
      try {
        return await dispatchControlRequest(control, call.request);
      } catch (error) {
        logger.error("IPC handler failed", { channel, error: String(error) });
        return { ok: false, error: "The node could not do that." };
      }
    });
  }

  const stopPush = control.onState((state) => {
    const target = options.target();
    if (target !== null && !target.isDestroyed()) target.send(IPC_CHANNELS.state, state);
  });

  return () => {
    stopPush();
    for (const method of CONTROL_METHODS) ipcMain.removeHandler(IPC_CHANNELS[method]);
  };
}
