/**
 * The owner's presence before the wallet's secrets move: on a Mac with Touch ID, showing the
 * backup phrase or replacing the key asks for a fingerprint first (Electron's
 * `systemPreferences.promptTouchID`). Elsewhere the window's own confirmation dialog is the check.
 */
import type { SystemPreferences } from "electron";
import type { ControlApi, Result } from "../../shared/control-api";

/** The answer when the owner did not confirm with Touch ID. */
export const OWNER_NOT_CONFIRMED = "Touch ID was not confirmed; nothing was shown or changed.";

/** Asks for the owner's presence; resolves true when confirmed or when there is nothing to ask with. */
export type OwnerCheck = (reason: string) => Promise<boolean>;

/** An {@link OwnerCheck} through Touch ID where the Mac has it. */
export function touchIdCheck(prefs: () => Pick<SystemPreferences, "canPromptTouchID" | "promptTouchID"> | undefined, platform = process.platform): OwnerCheck {
  return async (reason) => {
    const touchId = platform === "darwin" ? prefs() : undefined;
    if (!touchId?.canPromptTouchID()) return true;
    try {
      await touchId.promptTouchID(reason);
      return true;
    } catch {
      return false;
    }
  };
}

/** `control`, with the backup and a confirmed restore behind `check`. */
export function guardWalletSecrets(control: ControlApi, check: OwnerCheck): ControlApi {
  const refused = <T>(): Result<T> => ({ ok: false, error: OWNER_NOT_CONFIRMED });
  const guarded: Partial<ControlApi> = {
    backupWallet: async (confirm) => ((await check("show the wallet's backup phrase")) ? control.backupWallet(confirm) : refused()),
    restoreWallet: async (request) =>
      !request.confirm || (await check("replace the wallet's key")) ? control.restoreWallet(request) : refused(),
  };
  return new Proxy(control, {
    get(target, property) {
      if (property in guarded) return guarded[property as keyof ControlApi];
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
