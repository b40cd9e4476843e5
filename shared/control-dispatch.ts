/**
 * Calls the {@link ControlApi} method a validated {@link ControlRequest} names. Every transport
 * (the control WebSocket, the Electron IPC handlers) parses its input with
 * `controlRequestSchema` and hands the result here, so the method table exists once.
 */
import type { z } from "zod";
import type { ControlApi, ControlMethod, ControlRequest, Result, controlResultSchemas } from "./control-api";

/** The value a method answers with, as its schema in `controlResultSchemas` describes it. */
export type ControlValue<M extends ControlMethod> = z.infer<(typeof controlResultSchemas)[M]>;

/** The request fields after `id` and `method`, per method (what the caller supplies). */
export type ControlArgs<M extends ControlMethod> = Omit<Extract<ControlRequest, { method: M }>, "id" | "method">;

/** The single argument each method takes over IPC, by the name its request frame gives it. */
export const CONTROL_ARGUMENT: Readonly<Record<ControlMethod, string | null>> = {
  getState: null,
  setSharing: "on",
  getSettings: null,
  updateSettings: "patch",
  listModels: null,
  pullModel: "ref",
  cancelDownload: "downloadId",
  removeModel: "modelId",
  useModel: "modelId",
  pause: "until",
  resume: null,
  getDiagnostics: null,
  getEarnings: "range",
  getWithdrawalTerms: null,
  withdraw: "withdrawal",
  listWithdrawals: null,
  appeal: "statement",
  getWallet: null,
  unlockWallet: null,
  backupWallet: "confirm",
  restoreWallet: "restore",
  showLogs: null,
  exportLogs: null,
};

/** Runs the request against the agent; resolves with the method's Result. */
export function dispatchControlRequest(api: ControlApi, request: ControlRequest): Promise<Result<unknown>> {
  switch (request.method) {
    case "getState":
      return api.getState();
    case "setSharing":
      return api.setSharing(request.on);
    case "getSettings":
      return api.getSettings();
    case "updateSettings":
      return api.updateSettings(request.patch);
    case "listModels":
      return api.listModels();
    case "pullModel":
      return api.pullModel(request.ref);
    case "cancelDownload":
      return api.cancelDownload(request.downloadId);
    case "removeModel":
      return api.removeModel(request.modelId);
    case "useModel":
      return api.useModel(request.modelId);
    case "pause":
      return api.pause(request.until);
    case "resume":
      return api.resume();
    case "getDiagnostics":
      return api.getDiagnostics();
    case "getEarnings":
      return api.getEarnings(request.range);
    case "getWithdrawalTerms":
      return api.getWithdrawalTerms();
    case "withdraw":
      return api.withdraw(request.withdrawal);
    case "listWithdrawals":
      return api.listWithdrawals();
    case "appeal":
      return api.appeal(request.statement);
    case "getWallet":
      return api.getWallet();
    case "unlockWallet":
      return api.unlockWallet();
    case "backupWallet":
      return api.backupWallet(request.confirm);
    case "restoreWallet":
      return api.restoreWallet(request.restore);
    case "showLogs":
      return api.showLogs();
    case "exportLogs":
      return api.exportLogs();
  }
}
