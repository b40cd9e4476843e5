/**
 * Picks how this page talks to the agent: the Electron preload's `window.offpeak` bridge when
 * present, else the control WebSocket of the headless dashboard, with the token from the link.
 */
import type { ControlApi } from "../shared/control-api";
import { createControlClient, tokenFromHash } from "./control-client";
import type { ConnectionSource } from "./node-state-store";
import { hashWithoutToken } from "./routes";

declare global {
  interface Window {
    /** Exposed by the Electron preload; absent in a browser. */
    offpeak?: ControlApi;
  }
}

const TOKEN_KEY = "offpeak.controlToken";

export type ControlSource =
  | { readonly kind: "bridge" | "websocket"; readonly api: ControlApi; readonly connection?: ConnectionSource; close(): void }
  | { readonly kind: "missing-token" };

/** Chooses the bridge or the WebSocket client for this window. */
export function openControlSource(win: Window): ControlSource {
  if (win.offpeak) return { kind: "bridge", api: win.offpeak, close() {} };
  // The token leaves the address bar (and screenshots) once read; this tab keeps it for reloads.
  const fromLink = tokenFromHash(win.location.hash);
  if (fromLink !== null) {
    win.sessionStorage.setItem(TOKEN_KEY, fromLink);
    // The page named next to the token (`#/models?token=…`) stays.
    win.history.replaceState(null, "", win.location.pathname + win.location.search + hashWithoutToken(win.location.hash));
  }
  const token = fromLink ?? win.sessionStorage.getItem(TOKEN_KEY);
  if (token === null) return { kind: "missing-token" };
  const client = createControlClient({ url: `ws://${win.location.host}/control`, token });
  return { kind: "websocket", api: client, connection: client, close: () => client.close() };
}
