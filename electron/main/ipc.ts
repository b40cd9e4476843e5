/**
 * The main process side of the preload bridge: one handler per {@link IPC_CHANNELS} entry, each
 * refusing callers that are not the app's own window and payloads that fail their schema, and
 * answering with a {@link Result}. State snapshots are pushed to the window on every change.
 */
import type { IpcMain, IpcMainInvokeEvent, WebContents } from "electron";
import { z } from "zod";
import { IPC_CHANNELS, type ControlApi, type NodeState, type Result } from "../../shared/control-api";
import type { Logger } from "../../shared/logger";

const setSharingPayload = z.boolean();

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

/** Registers the handlers and the state push; returns a function that removes them. */
export function registerControlIpc(options: ControlIpcOptions): () => void {
  const { ipcMain, control, isTrustedSender, logger } = options;

  const guarded =
    <A extends unknown[]>(channel: string, run: (...args: A) => Promise<Result<NodeState>>) =>
    async (event: IpcMainInvokeEvent, ...args: unknown[]): Promise<Result<NodeState>> => {
      if (!isTrustedSender(event)) {
        logger.warn("refused IPC from an unknown sender", { channel });
        return { ok: false, error: "This caller may not control Offpeak." };
      }
      try {
        return await run(...(args as A));
      } catch (error) {
        logger.error("IPC handler failed", { channel, error: String(error) });
        return { ok: false, error: "The node could not do that." };
      }
    };

  ipcMain.handle(
    IPC_CHANNELS.getState,
    guarded(IPC_CHANNELS.getState, () => control.getState()),
  );
  ipcMain.handle(
    IPC_CHANNELS.setSharing,
    guarded(IPC_CHANNELS.setSharing, async (payload: unknown) => {
      const on = setSharingPayload.safeParse(payload);
      if (!on.success) return { ok: false, error: "setSharing expects true or false." };
      return control.setSharing(on.data);
    }),
  );

  const stopPush = control.onState((state) => {
    const target = options.target();
    if (target !== null && !target.isDestroyed()) target.send(IPC_CHANNELS.state, state);
  });

  return () => {
    stopPush();
    ipcMain.removeHandler(IPC_CHANNELS.getState);
    ipcMain.removeHandler(IPC_CHANNELS.setSharing);
  };
}
