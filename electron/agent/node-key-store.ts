/**
 * Which store holds a data folder's wallet, and the move of an interim `node-key` file into the
 * OS keychain.
 *
 * The keychain is the default. `OFFPEAK_KEY_STORE=file` is the owner's explicit choice for a
 * machine without one (a headless Linux server has no Secret Service): the secret then stays in
 * `node-key` (mode 0600) in the data folder. Nothing falls back to the file on its own.
 *
 * Once a key lives in the keychain, a small `key-location` file (no secret in it) remembers
 * that, so a later run that finds no entry — another keychain, a deleted entry, the file store
 * chosen by mistake — stops with a reason instead of making a new key: the earnings belong to
 * the old address.
 */
import { access, mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { silentLogger, type Logger } from "../../shared/logger";
import { FileKeyStore, KeyStoreError, type KeyStore } from "./key-store";
import { KeychainKeyStore, type OpenKeychainEntry } from "./keychain-key-store";
import { addressOf, type WalletSecret } from "./wallet-secret";

/** "keychain" (default) or "file". */
export const KEY_STORE_ENV = "OFFPEAK_KEY_STORE";
/** Another keychain service name than `offpeak` (tests; two installs side by side). */
export const KEYCHAIN_SERVICE_ENV = "OFFPEAK_KEYCHAIN_SERVICE";
/** The file that says the data folder's key is in the keychain. */
export const KEY_LOCATION_FILE = "key-location";

export interface NodeKeyStoreOptions {
  readonly dataDir: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly logger?: Logger;
  /** The keychain entries (a test's); default the OS keychain. */
  readonly openEntry?: OpenKeychainEntry;
}

/** The store the owner chose for this data folder; throws on an unknown OFFPEAK_KEY_STORE. */
export function chooseKeyStore(options: NodeKeyStoreOptions): KeyStore {
  const env = options.env ?? process.env;
  const mode = env[KEY_STORE_ENV] || "keychain";
  const file = new FileKeyStore(options.dataDir);
  const marker = join(options.dataDir, KEY_LOCATION_FILE);
  if (mode === "file") return new FileModeKeyStore(file, marker);
  if (mode !== "keychain") throw new Error(`${KEY_STORE_ENV} must be "keychain" or "file", not "${mode}"`);
  const keychain = new KeychainKeyStore({ dataDir: options.dataDir, service: env[KEYCHAIN_SERVICE_ENV] || undefined, openEntry: options.openEntry });
  return new MigratingKeychainStore(keychain, file, marker, options.logger ?? silentLogger);
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** The keychain, taking over the interim key file the first time it runs. */
export class MigratingKeychainStore implements KeyStore {
  constructor(
    readonly keychain: KeychainKeyStore,
    readonly file: FileKeyStore,
    private readonly marker: string,
    private readonly logger: Logger,
  ) {}

  async load(): Promise<WalletSecret | null> {
    const secret = await this.keychain.load();
    const legacy = await this.file.load();
    if (secret && legacy) {
      if (secret.privateKey !== legacy.privateKey) {
        throw new KeyStoreError(
          "damaged",
          `Two different node keys: ${this.keychain.describe()} holds ${addressOf(secret.privateKey)} and ${this.file.path} holds ${addressOf(legacy.privateKey)}; move the file out of the data folder once you know which address holds your earnings`,
        );
      }
      // A move that stopped between writing the keychain and deleting the file.
      await this.file.remove();
    }
    if (secret) {
      await this.remember();
      return secret;
    }
    if (legacy) {
      // save() writes the entry, reads it back and compares; only then does the file go.
      await this.keychain.save(legacy);
      await this.file.remove();
      await this.remember();
      this.logger.info("moved the node key from its file into the keychain", { store: this.keychain.describe() });
      return legacy;
    }
    if (await exists(this.marker)) {
      throw new KeyStoreError(
        "unavailable",
        `Keychain unavailable: ${this.keychain.describe()} has no entry, yet this data folder's key was kept there; start or unlock that keychain, or restore the wallet from its backup phrase`,
      );
    }
    return null;
  }

  async save(secret: WalletSecret): Promise<void> {
    await this.keychain.save(secret);
    await this.remember();
  }

  describe(): string {
    return this.keychain.describe();
  }

  private async remember(): Promise<void> {
    if (await exists(this.marker)) return;
    await mkdir(dirname(this.marker), { recursive: true, mode: 0o700 });
    await writeFile(this.marker, `This data folder's wallet key is kept in the OS keychain: ${this.keychain.describe()}.\n`, { mode: 0o600 });
  }
}

/** The file store the owner chose, refusing to start a new key where the keychain holds the real one. */
export class FileModeKeyStore implements KeyStore {
  constructor(
    readonly file: FileKeyStore,
    private readonly marker: string,
  ) {}

  async load(): Promise<WalletSecret | null> {
    const secret = await this.file.load();
    if (secret || !(await exists(this.marker))) return secret;
    throw new KeyStoreError(
      "unavailable",
      `Wallet key not in the file: this data folder's key is kept in the OS keychain (see ${this.marker}), but ${KEY_STORE_ENV}=file asks for ${this.file.path}; unset ${KEY_STORE_ENV}, or restore the wallet from its backup phrase`,
    );
  }

  save(secret: WalletSecret): Promise<void> {
    return this.file.save(secret);
  }

  describe(): string {
    return this.file.describe();
  }
}
