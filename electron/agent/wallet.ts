/**
 * The node's wallet: a secp256k1 key whose EVM address is the node's identity. It signs the
 * coordinator's login challenge, every job receipt and the owner's withdrawals — this module is
 * the only place that signs. The key comes from a {@link KeyStore} (the OS keychain by default);
 * {@link WalletVault} holds it for the agent, says plainly why it cannot when the store is locked,
 * unreachable or damaged (it never makes a new key then), and backs it up and restores it as a
 * phrase. The key and the phrase are never logged.
 */
import { createHash } from "node:crypto";
import { privateKeyToAccount } from "viem/accounts";
import { silentLogger, type Logger } from "../../shared/logger";
import type { Receipt } from "../../shared/protocol";
import {
  appealTypedData,
  earningsRequestTypedData,
  loginTypedData,
  receiptTypedData,
  standingReadTypedData,
  withdrawalReadTypedData,
  withdrawalTypedData,
} from "../../shared/typed-data";
import type { WithdrawalMessage } from "../../shared/withdrawal";
import { KeyStoreError, type KeyStore } from "./key-store";
import { addressOf, displayPhrase, newWalletSecret, secretFromPhrase, type PhraseKind, type PrivateKeyHex, type WalletSecret } from "./wallet-secret";

/** What the agent can do with the wallet: know its address and sign. */
export interface NodeWallet {
  readonly address: `0x${string}`;
  signLogin(nonce: string, coordinatorId: string): Promise<`0x${string}`>;
  signReceipt(receipt: Omit<Receipt, "signature">): Promise<Receipt>;
  /** Signs a request to pay this node's earnings out to `message.to`, at coordinator `message.coordinator`. */
  signWithdrawal(message: WithdrawalMessage): Promise<`0x${string}`>;
  /** Signs a read of this node's own withdrawals at `coordinator` (its id), valid until `deadline` (unix seconds). */
  signWithdrawalRead(deadline: number, coordinator: string): Promise<`0x${string}`>;
  /** Signs a read of this node's earnings at `coordinator` (its id), made at `timestamp` (epoch ms). */
  signEarningsRequest(timestamp: number, coordinator: string): Promise<`0x${string}`>;
  /** Signs the owner's appeal against this node's quarantine at `coordinator`, made at `timestamp` (epoch ms). */
  signAppeal(statement: string, timestamp: number, coordinator: string): Promise<`0x${string}`>;
  /** Signs a read of this node's standing (quarantine, appeal) at `coordinator`, made at `timestamp` (epoch ms). */
  signStandingRead(timestamp: number, coordinator: string): Promise<`0x${string}`>;
}

/** The signer of one private key. */
function walletFromKey(key: PrivateKeyHex): NodeWallet {
  const account = privateKeyToAccount(key);
  return {
    address: account.address,
    signLogin: (nonce, coordinatorId) => account.signTypedData(loginTypedData(nonce, coordinatorId)),
    async signReceipt(receipt) {
      const signature = await account.signTypedData(receiptTypedData(receipt));
      return { ...receipt, signature };
    },
    signWithdrawal: (message) => account.signTypedData(withdrawalTypedData(message)),
    signWithdrawalRead: (deadline, coordinator) => account.signTypedData(withdrawalReadTypedData(account.address, deadline, coordinator)),
    signEarningsRequest: (timestamp, coordinator) => account.signTypedData(earningsRequestTypedData(account.address, timestamp, coordinator)),
    signAppeal: (statement, timestamp, coordinator) => account.signTypedData(appealTypedData(account.address, statement, timestamp, coordinator)),
    signStandingRead: (timestamp, coordinator) => account.signTypedData(standingReadTypedData(account.address, timestamp, coordinator)),
  };
}

/** Where the wallet stands: ready, or why not, in the owner's words. */
export interface WalletStatus {
  readonly state: "ready" | "locked" | "unavailable" | "damaged";
  /** "Keychain locked: unlock it to earn"; null when ready. */
  readonly reason: string | null;
  /** Where the key lives ("Secret Service (service "offpeak", account "node-key")"). */
  readonly store: string;
  readonly address: `0x${string}` | null;
  readonly phraseKind: PhraseKind | null;
}

/** The phrase the owner writes down, and what it restores. */
export interface WalletBackup {
  readonly address: `0x${string}`;
  readonly phrase: string;
  readonly kind: PhraseKind;
}

/** Thrown when the wallet is asked to sign or back up while it is not open. */
export class WalletNotReadyError extends Error {}

/** The node's wallet as the agent holds it: open or not, and why. */
export class WalletVault implements NodeWallet {
  private secret: WalletSecret | null = null;
  private signer: NodeWallet | null = null;
  private current: WalletStatus;
  private readonly listeners = new Set<(status: WalletStatus) => void>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: KeyStore,
    private readonly logger: Logger = silentLogger,
  ) {
    this.current = { state: "unavailable", reason: "Wallet not opened yet", store: store.describe(), address: null, phraseKind: null };
  }

  status(): WalletStatus {
    return this.current;
  }

  /** Calls `listener` after every change of the status (opened, restored). */
  onChange(listener: (status: WalletStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Loads the wallet, or on the very first run creates one; never throws (see {@link status}). */
  open(): Promise<WalletStatus> {
    return this.serially(async () => {
      if (this.signer) return this.current;
      try {
        let secret = await this.store.load();
        if (!secret) {
          secret = newWalletSecret();
          await this.store.save(secret);
          this.logger.info("created the node's wallet", { address: addressOf(secret.privateKey), store: this.store.describe() });
        }
        this.use(secret);
      } catch (error) {
        const problem = error instanceof KeyStoreError ? error : new KeyStoreError("unavailable", `Wallet unavailable: ${(error as Error).message}`);
        this.logger.warn("the wallet could not be opened", { reason: problem.message });
        this.set({ ...this.current, state: problem.problem, reason: problem.message });
      }
      return this.current;
    });
  }

  /** The backup phrase. Only the owner's explicit, confirmed backup calls this. */
  backup(): WalletBackup {
    const { secret, signer } = this;
    if (!secret || !signer) throw new WalletNotReadyError(this.current.reason ?? "The wallet is not open");
    return { address: signer.address, phrase: displayPhrase(secret), kind: secret.kind };
  }

  /** The address a phrase restores, changing nothing; throws a PhraseError for an invalid phrase. */
  preview(phrase: string): { address: `0x${string}`; kind: PhraseKind } {
    const secret = secretFromPhrase(phrase);
    return { address: addressOf(secret.privateKey), kind: secret.kind };
  }

  /**
   * Replaces the key with the one `phrase` gives, once the store has it (written and read back).
   * Throws a PhraseError for an invalid phrase and a KeyStoreError when the store refuses; the
   * wallet then stays as it was.
   */
  async restore(phrase: string): Promise<WalletStatus> {
    const secret = secretFromPhrase(phrase);
    return this.serially(async () => {
      const before = this.current.address;
      await this.store.save(secret);
      this.use(secret);
      this.logger.info("restored the node's wallet from its backup phrase", { address: this.current.address, previous: before });
      return this.current;
    });
  }

  get address(): `0x${string}` {
    return this.ready().address;
  }

  async signLogin(nonce: string, coordinatorId: string): Promise<`0x${string}`> {
    return this.ready().signLogin(nonce, coordinatorId);
  }

  async signReceipt(receipt: Omit<Receipt, "signature">): Promise<Receipt> {
    return this.ready().signReceipt(receipt);
  }

  async signWithdrawal(message: WithdrawalMessage): Promise<`0x${string}`> {
    return this.ready().signWithdrawal(message);
  }

  async signWithdrawalRead(deadline: number, coordinator: string): Promise<`0x${string}`> {
    return this.ready().signWithdrawalRead(deadline, coordinator);
  }

  async signEarningsRequest(timestamp: number, coordinator: string): Promise<`0x${string}`> {
    return this.ready().signEarningsRequest(timestamp, coordinator);
  }

  async signAppeal(statement: string, timestamp: number, coordinator: string): Promise<`0x${string}`> {
    return this.ready().signAppeal(statement, timestamp, coordinator);
  }

  async signStandingRead(timestamp: number, coordinator: string): Promise<`0x${string}`> {
    return this.ready().signStandingRead(timestamp, coordinator);
  }

  private ready(): NodeWallet {
    if (!this.signer) throw new WalletNotReadyError(this.current.reason ?? "The wallet is not open");
    return this.signer;
  }

  private use(secret: WalletSecret): void {
    this.secret = secret;
    this.signer = walletFromKey(secret.privateKey);
    this.set({ state: "ready", reason: null, store: this.store.describe(), address: this.signer.address, phraseKind: secret.kind });
  }

  private set(status: WalletStatus): void {
    this.current = status;
    for (const listener of this.listeners) listener(status);
  }

  /** Runs opens and restores one at a time. */
  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** Opens the wallet of `store` (creating it on first run); throws when the store cannot give it. */
export async function openWallet(store: KeyStore, logger?: Logger): Promise<WalletVault> {
  const vault = new WalletVault(store, logger);
  const status = await vault.open();
  if (status.state !== "ready") throw new Error(status.reason ?? "the wallet could not be opened");
  return vault;
}

/** sha256 of the UTF-8 text, 0x-prefixed: the output hash a receipt carries. */
export function outputHash(text: string): `0x${string}` {
  return `0x${createHash("sha256").update(text, "utf8").digest("hex")}`;
}
