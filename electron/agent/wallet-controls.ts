/**
 * The wallet's part of {@link ControlApi}: its view, another try at opening it, the backup phrase
 * (only for an explicit `confirm: true`) and a restore from a phrase (a preview until confirmed).
 * Every refusal is a sentence for the owner; no phrase or key ever goes to the log.
 */
import type { Result, WalletBackup, WalletRestore, WalletRestoreRequest, WalletStatusView, WalletView } from "../../shared/control-api";
import type { Logger } from "../../shared/logger";
import { KeyStoreError } from "./key-store";
import type { WalletStatus, WalletVault } from "./wallet";
import { PhraseError } from "./wallet-secret";

/** The wallet's status as the node's state carries it. */
export function walletStatusView(status: WalletStatus): WalletStatusView {
  return { state: status.state, reason: status.reason, store: status.store, phraseKind: status.phraseKind };
}

export const BACKUP_NEEDS_CONFIRM = "Showing the backup phrase needs the owner's explicit confirmation (confirm: true).";

export class WalletControls {
  constructor(
    private readonly vault: WalletVault,
    private readonly logger: Logger,
  ) {}

  view(): WalletView {
    const status = this.vault.status();
    return { ...walletStatusView(status), address: status.address };
  }

  async get(): Promise<Result<WalletView>> {
    return { ok: true, value: this.view() };
  }

  /** Opens the wallet again; the view says whether it worked and, if not, why. */
  async unlock(): Promise<Result<WalletView>> {
    await this.vault.open();
    return { ok: true, value: this.view() };
  }

  async backup(confirm: true): Promise<Result<WalletBackup>> {
    if (confirm !== true) return { ok: false, error: BACKUP_NEEDS_CONFIRM };
    try {
      const backup = this.vault.backup();
      this.logger.info("the wallet's backup phrase was shown to the owner", { address: backup.address });
      return { ok: true, value: backup };
    } catch (error) {
      return { ok: false, error: (error as Error).message };
    }
  }

  async restore(request: WalletRestoreRequest): Promise<Result<WalletRestore>> {
    if (typeof request?.phrase !== "string" || typeof request.confirm !== "boolean") {
      return { ok: false, error: "restoreWallet takes a backup phrase and whether the owner confirmed" };
    }
    let preview: ReturnType<WalletVault["preview"]>;
    try {
      preview = this.vault.preview(request.phrase);
    } catch (error) {
      if (error instanceof PhraseError) return { ok: false, error: `Not a valid backup phrase: ${error.message}.` };
      throw error;
    }
    const previousAddress = this.vault.status().address;
    const outcome = { address: preview.address, previousAddress, kind: preview.kind };
    if (!request.confirm) return { ok: true, value: { ...outcome, replaced: false } };
    try {
      await this.vault.restore(request.phrase);
    } catch (error) {
      if (error instanceof KeyStoreError) return { ok: false, error: `The wallet was not replaced: ${error.message}` };
      throw error;
    }
    return { ok: true, value: { ...outcome, replaced: true } };
  }
}
