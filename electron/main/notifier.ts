/**
 * Shows the notifications {@link noticesFor} asks for through Electron's Notification, reading
 * the owner's choices at each change (a switch turned off in Settings takes effect at once).
 * Everything, withdrawals included, comes from the state snapshots the agent pushes: nothing is
 * polled.
 */
import { Notification } from "electron";
import type { ControlApi } from "../../shared/control-api";
import type { Logger } from "../../shared/logger";
import type { NotificationSettings } from "../../shared/settings";
import { noticesFor, snapshotOf, type DesktopNotice, type NoticeSnapshot } from "./desktop-notices";

export interface NotifierOptions {
  readonly control: Pick<ControlApi, "onState">;
  /** The owner's current choices. */
  readonly choices: () => NotificationSettings;
  readonly logger: Logger;
}

/** Shows one notice; false where the OS offers no notifications. */
export function showNotice(notice: DesktopNotice): boolean {
  if (!Notification.isSupported()) return false;
  new Notification({ title: notice.title, body: notice.body, silent: false }).show();
  return true;
}

/** Starts following the node; returns the function that stops. */
export function startNotifier(options: NotifierOptions): () => void {
  let last: NoticeSnapshot | null = null;
  return options.control.onState((state) => {
    const next = snapshotOf(state, last);
    for (const notice of noticesFor(last, next, options.choices())) {
      if (!showNotice(notice)) options.logger.debug("notifications are not supported here", { kind: notice.kind });
    }
    last = next;
  });
}
