/**
 * Where the node's wallet secret lives. The wallet only sees the {@link KeyStore} interface: the
 * OS keychain (keychain-key-store.ts) by default, or — when the owner opts in, or for a key made
 * before the keychain was used — one file of the data folder readable by the owner alone.
 */
import { chmod, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { KEY_PATTERN, parseSecret, secretFromRawKey, serializeSecret, type PrivateKeyHex, type WalletSecret } from "./wallet-secret";

export type { PrivateKeyHex, WalletSecret };

/** Why a store cannot give the secret: locked (the owner can unlock it), unreachable, or damaged. */
export type KeyStoreProblem = "locked" | "unavailable" | "damaged";

/** A store that could not answer; `message` is a sentence for the owner ("Keychain locked: …"). */
export class KeyStoreError extends Error {
  constructor(
    readonly problem: KeyStoreProblem,
    message: string,
  ) {
    super(message);
  }
}

/** Storage for the node's one wallet secret. */
export interface KeyStore {
  /** The stored secret, or null when none was ever stored. Throws a {@link KeyStoreError} otherwise. */
  load(): Promise<WalletSecret | null>;
  /** Stores the secret, replacing any other; resolves only once it reads back the same. */
  save(secret: WalletSecret): Promise<void>;
  /** Where the secret lives, for people ("file ~/.offpeak/node-key (mode 0600)"). */
  describe(): string;
}

/** The file store: `node-key` in the data folder, mode 0600 (a bare hex key, or this app's JSON). */
export class FileKeyStore implements KeyStore {
  readonly path: string;

  constructor(dataDir: string) {
    this.path = join(dataDir, "node-key");
  }

  async load(): Promise<WalletSecret | null> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw new KeyStoreError("unavailable", `Cannot read the node key file ${this.path}: ${(error as Error).message}`);
    }
    const trimmed = text.trim();
    // The interim format: the key alone, as hex. Its phrase is the key's own bytes.
    if (KEY_PATTERN.test(trimmed.toLowerCase())) return secretFromRawKey(trimmed.toLowerCase() as PrivateKeyHex);
    try {
      return parseSecret(trimmed);
    } catch (error) {
      // Never replace a damaged key silently: the balance belongs to the old address.
      throw new KeyStoreError(
        "damaged",
        `Node key damaged: the file ${this.path} is not a 32-byte hex key nor a wallet this app wrote (${(error as Error).message}); restore it from its backup phrase or move the file away`,
      );
    }
  }

  async save(secret: WalletSecret): Promise<void> {
    if (!KEY_PATTERN.test(secret.privateKey)) throw new Error("refusing to store a malformed key");
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.tmp`;
    await rm(tmp, { force: true });
    await writeFile(tmp, `${serializeSecret(secret)}\n`, { mode: 0o600, flag: "wx" });
    await chmod(tmp, 0o600);
    await rename(tmp, this.path);
    const back = await this.load();
    if (back?.privateKey !== secret.privateKey) throw new KeyStoreError("damaged", `The node key file ${this.path} did not read back what was written`);
  }

  /** Deletes the file (after its key moved to the keychain). */
  async remove(): Promise<void> {
    await rm(this.path, { force: true });
  }

  describe(): string {
    return `file ${this.path} (mode 0600)`;
  }
}
