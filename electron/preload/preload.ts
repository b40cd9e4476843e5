/**
 * The window's preload: exposes exactly {@link ControlApi} as `window.offpeak` — three named
 * functions over the IPC channels, never ipcRenderer itself. Pushed states are checked against
 * the contract before the page sees them.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from "electron";
import { IPC_CHANNELS, nodeStateSchema, type ControlApi, type NodeState, type Result } from "../../shared/control-api";

/** Builds the bridged API over an ipcRenderer (injected for tests). */
export function createBridge(ipc: Pick<typeof ipcRenderer, "invoke" | "on" | "removeListener">): ControlApi {
  return {
    getState: () => ipc.invoke(IPC_CHANNELS.getState) as Promise<Result<NodeState>>,
    setSharing: (on: boolean) => ipc.invoke(IPC_CHANNELS.setSharing, on === true) as Promise<Result<NodeState>>,
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
