/**
 * Locks down every web page the app could ever host, not only the main window: no permission
 * (camera, notifications from the page, geolocation …) is granted to web content, no navigation
 * away from the page, no new windows, no <webview>. The window itself is isolated and sandboxed
 * (main-window.ts) and its page carries a strict Content-Security-Policy (renderer/vite.config.ts).
 */
import type { App, Event, Session, WebContents } from "electron";

/** Refuses every permission request and check from web content. */
export function denyAllPermissions(session: Pick<Session, "setPermissionRequestHandler" | "setPermissionCheckHandler">): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}

/** Applies the navigation rules to each webContents as it is created. */
export function guardAllWebContents(app: Pick<App, "on">): void {
  app.on("web-contents-created", (_event: Event, contents: WebContents) => {
    contents.on("will-navigate", (event) => event.preventDefault());
    contents.on("will-redirect", (event) => event.preventDefault());
    contents.on("will-attach-webview", (event) => event.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: "deny" }));
  });
}
