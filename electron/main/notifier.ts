/**
 * Shows the notifications {@link noticesFor} asks for through Electron's Notification, reading
 * the owner's choices at each change (a switch turned off in Settings takes effect at once).
 * Withdrawals, when a source is given, are read on an interval while the app runs.
 */
import { Notification } from "electron";
import type { ControlApi } from "../../shared/control-api";
import type { Logger } from "../../shared/logger";
import type { NotificationSettings } from "../../shared/settings";
import { noticesFor, type DesktopNotice, type NoticeSnapshot, type WithdrawalSnapshot } from "./desktop-notices";

export interface NotifierOptions {
  readonly control: Pick<ControlApi, "onState">;
  /** The owner's current choices. */
  readonly choices: () => NotificationSettings;
  /** The owner's recent withdrawals (null: not known now). */
  readonly readWithdrawals?: () => Promise<readonly WithdrawalSnapshot[] | null>;
  readonly withdrawalPollMs?: number;
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
  let withdrawals: readonly WithdrawalSnapshot[] | null = null;

  const step = (next: NoticeSnapshot) => {
    for (const notice of noticesFor(last, next, options.choices())) {
      if (!showNotice(notice)) options.logger.debug("notifications are not supported here", { kind: notice.kind });
    }
    last = next;
  };

  const stopState = options.control.onState((state) => step({ state, withdrawals }));

  let timer: ReturnType<typeof setInterval> | undefined;
  if (options.readWithdrawals) {
    const read = options.readWithdrawals;
    const poll = () => {
      read()
        .then((list) => {
          withdrawals = list;
          if (last !== null) step({ state: last.state, withdrawals: list });
        })
        .catch((error: unknown) => options.logger.warn("could not read withdrawals for notifications", { error: String(error) }));
    };
    poll();
    timer = setInterval(poll, options.withdrawalPollMs ?? 60_000);
    timer.unref?.();
  }

  return () => {
    stopState();
    clearInterval(timer);
  };
}
