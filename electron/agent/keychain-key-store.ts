/**
 * The wallet secret in the OS keychain through @napi-rs/keyring: the macOS Keychain, the Windows
 * Credential Manager, or the Secret Service on Linux (GNOME Keyring, KWallet). One entry per data
 * folder holds the JSON of wallet-secret.ts.
 *
 * Entry names: service `offpeak`; account `node-key` for the default data folder (~/.offpeak) and
 * `node-key:<first 16 hex digits of sha256(absolute data folder path)>` for any other, so two data
 * folders on one machine (two nodes, or a test) never share a key.
 *
 * The library reports a missing entry as null and anything else (locked, no store, denied) as a
 * rejection; this store turns those into a {@link KeyStoreError} with a sentence for the owner.
 */
import { createHash } from "node:crypto";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { KeyStoreError, type KeyStore } from "./key-store";
import { parseSecret, serializeSecret, type WalletSecret } from "./wallet-secret";

/** The keychain service every entry of this app is filed under. */
export const KEYCHAIN_SERVICE = "offpeak";

/** The owner's reason when the keychain is locked. */
export const KEYCHAIN_LOCKED_REASON = "Keychain locked: unlock it to earn";

/** What the owner can do where there is no keychain at all. */
export const FILE_STORE_HINT = "set OFFPEAK_KEY_STORE=file to keep the key in a file of the data folder instead";

/** The part of the library's AsyncEntry this store uses. */
export interface KeychainEntry {
  getPassword(): Promise<string | null | undefined>;
  setPassword(password: string): Promise<void>;
  deletePassword(): Promise<unknown>;
}

/** Opens the entry of `service`/`account` (the library's, or a test's). */
export type OpenKeychainEntry = (service: string, account: string) => Promise<KeychainEntry>;

/** The account name of a data folder's entry (see the file comment). */
export function keychainAccount(dataDir: string, home = homedir()): string {
  const dir = resolve(dataDir);
  if (dir === resolve(join(home, ".offpeak"))) return "node-key";
  return `node-key:${createHash("sha256").update(dir).digest("hex").slice(0, 16)}`;
}

async function openNativeEntry(service: string, account: string): Promise<KeychainEntry> {
  const { AsyncEntry } = await import("@napi-rs/keyring");
  // Secret Service only: the library's Linux fallback, the kernel keyring, forgets keys on reboot.
  return new AsyncEntry(service, account, { linux: { store: "secret-service" } });
}

/** The first line of a native error (the library appends a cause chain and a backtrace). */
function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return (text.split("\n")[0] ?? text).trim() || "unknown error";
}

/** Sorts a keychain failure into locked or unavailable, with the owner's sentence. */
export function keychainProblem(error: unknown): KeyStoreError {
  const detail = firstLine(error);
  if (/locked|unlock|interaction is not allowed|user canceled|cancelled by the user|errSecAuthFailed/i.test(detail)) {
    return new KeyStoreError("locked", KEYCHAIN_LOCKED_REASON);
  }
  const what = /dbus|secret service|org\.freedesktop\.secrets/i.test(detail) ? `no Secret Service answers (${detail})` : detail;
  return new KeyStoreError("unavailable", `Keychain unavailable: ${what}; ${FILE_STORE_HINT}`);
}

export interface KeychainKeyStoreOptions {
  readonly dataDir: string;
  /** Default {@link KEYCHAIN_SERVICE}; tests use their own so they never meet a real entry. */
  readonly service?: string;
  readonly openEntry?: OpenKeychainEntry;
  readonly platform?: NodeJS.Platform;
}

/** The wallet secret in the OS keychain. */
export class KeychainKeyStore implements KeyStore {
  readonly service: string;
  readonly account: string;
  private readonly openEntry: OpenKeychainEntry;
  private readonly platform: NodeJS.Platform;

  constructor(options: KeychainKeyStoreOptions) {
    this.service = options.service ?? KEYCHAIN_SERVICE;
    this.account = keychainAccount(options.dataDir);
    this.openEntry = options.openEntry ?? openNativeEntry;
    this.platform = options.platform ?? process.platform;
  }

  async load(): Promise<WalletSecret | null> {
    const text = await this.call((entry) => entry.getPassword());
    if (text === null || text === undefined) return null;
    try {
      return parseSecret(text);
    } catch (error) {
      throw new KeyStoreError(
        "damaged",
        `Keychain entry damaged: ${this.where()} holds something other than this app's wallet (${(error as Error).message}); restore the wallet from its backup phrase`,
      );
    }
  }

  async save(secret: WalletSecret): Promise<void> {
    const text = serializeSecret(secret);
    await this.call((entry) => entry.setPassword(text));
    const back = await this.call((entry) => entry.getPassword());
    if (back !== text) throw new KeyStoreError("damaged", `Keychain entry damaged: ${this.where()} did not read back what was written`);
  }

  /** Deletes the entry; true when there was one. */
  async remove(): Promise<boolean> {
    return Boolean(await this.call((entry) => entry.deletePassword()));
  }

  describe(): string {
    const store = this.platform === "darwin" ? "macOS Keychain" : this.platform === "win32" ? "Windows Credential Manager" : "Secret Service";
    return `${store} (${this.where()})`;
  }

  private where(): string {
    return `service "${this.service}", account "${this.account}"`;
  }

  /** Runs one call on a fresh entry (the library picks the store when the entry is made). */
  private async call<T>(action: (entry: KeychainEntry) => Promise<T>): Promise<T> {
    try {
      return await action(await this.openEntry(this.service, this.account));
    } catch (error) {
      throw keychainProblem(error);
    }
  }
}
