/**
 * The wallet part of the in-memory agent (FakeControlApi): a fixed sample wallet whose phrase and
 * address belong together, phrases checked by the real wallet-secret.ts (so an invalid phrase is
 * refused with the agent's own sentence), and a keychain a test can lock.
 */
import { entropyToMnemonic } from "@scure/bip39";
import { english } from "viem/accounts";
import type { NodeState, Result, WalletBackup, WalletRestore, WalletRestoreRequest, WalletStatusView, WalletView } from "../../shared/control-api";
import { addressOf, displayPhrase, PhraseError, secretFromPhrase, type WalletSecret } from "../../electron/agent/wallet-secret";

/** The sample wallet's 24 words (from the bytes 1…32). */
export const SAMPLE_PHRASE = entropyToMnemonic(Uint8Array.from({ length: 32 }, (_, i) => i + 1), english);
const SAMPLE_SECRET = secretFromPhrase(SAMPLE_PHRASE);
export const SAMPLE_ADDRESS = addressOf(SAMPLE_SECRET.privateKey);
export const SAMPLE_STORE = 'Secret Service (service "offpeak", account "node-key")';

/** The sample wallet, open. */
export function sampleWalletStatus(overrides: Partial<WalletStatusView> = {}): WalletStatusView {
  return { state: "ready", reason: null, store: SAMPLE_STORE, phraseKind: "bip39", ...overrides };
}

/** What the fake agent exposes to its wallet. */
export interface FakeWalletHost {
  readonly state: NodeState;
  update(patch: Partial<NodeState>): void;
}

export class FakeWallet {
  private secret: WalletSecret = SAMPLE_SECRET;
  /** Every backup request's confirmation, in order. */
  readonly backupCalls: unknown[] = [];
  /** Every restore request's confirmation (never the phrase), in order. */
  readonly restoreCalls: boolean[] = [];
  /** Whether the next unlock finds the keychain open. */
  unlocks = true;

  constructor(private readonly host: FakeWalletHost) {}

  /** Shows the keychain locked, as the agent does: no address, an error activity with the reason. */
  lock(reason = "Keychain locked: unlock it to earn"): void {
    this.host.update({ address: "", wallet: sampleWalletStatus({ state: "locked", reason, phraseKind: null }), activity: "error", reason });
  }

  view(): WalletView {
    const { wallet, address } = this.host.state;
    return { ...wallet, address: wallet.state === "ready" ? address : null };
  }

  async unlock(): Promise<Result<WalletView>> {
    if (this.unlocks && this.host.state.wallet.state !== "ready") {
      this.host.update({
        address: addressOf(this.secret.privateKey),
        wallet: sampleWalletStatus({ phraseKind: this.secret.kind }),
        activity: "ready",
        reason: "Ready: waiting for jobs",
      });
    }
    return { ok: true, value: this.view() };
  }

  async backup(confirm: unknown): Promise<Result<WalletBackup>> {
    this.backupCalls.push(confirm);
    if (confirm !== true) return { ok: false, error: "Showing the backup phrase needs the owner's explicit confirmation (confirm: true)." };
    const { wallet } = this.host.state;
    if (wallet.state !== "ready") return { ok: false, error: wallet.reason ?? "The wallet is not open" };
    return { ok: true, value: { address: addressOf(this.secret.privateKey), phrase: displayPhrase(this.secret), kind: this.secret.kind } };
  }

  async restore(request: WalletRestoreRequest): Promise<Result<WalletRestore>> {
    this.restoreCalls.push(request.confirm);
    let secret: WalletSecret;
    try {
      secret = secretFromPhrase(request.phrase);
    } catch (error) {
      if (error instanceof PhraseError) return { ok: false, error: `Not a valid backup phrase: ${error.message}.` };
      throw error;
    }
    const address = addressOf(secret.privateKey);
    const previousAddress = this.host.state.wallet.state === "ready" ? this.host.state.address : null;
    if (request.confirm) {
      this.secret = secret;
      this.host.update({ address, wallet: sampleWalletStatus({ phraseKind: secret.kind }) });
    }
    return { ok: true, value: { address, previousAddress, kind: secret.kind, replaced: request.confirm } };
  }
}
