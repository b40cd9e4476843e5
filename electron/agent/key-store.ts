/**
 * Where the node's wallet key lives. The agent only sees the {@link KeyStore} interface; the
 * interim store keeps the key in a file of the data folder readable by the owner alone (mode
 * 0600), and the OS keychain store replaces it without any change to the agent.
 */
import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";

/** A 0x-prefixed 32-byte secp256k1 private key. */
export type PrivateKeyHex = `0x${string}`;

/** Storage for the node's one private key. */
export interface KeyStore {
  /** The stored key, or null when none was ever stored. Throws when the store cannot be read. */
  load(): Promise<PrivateKeyHex | null>;
  /** Stores the key, replacing none: callers save only when load() returned null. */
  save(key: PrivateKeyHex): Promise<void>;
  /** Where the key lives, for people ("file ~/.offpeak/node-key (0600)"). */
  describe(): string;
}

const KEY_PATTERN = /^0x[0-9a-f]{64}$/;

/** The interim key store: one file, mode 0600, in the node's data folder. */
export class FileKeyStore implements KeyStore {
  readonly path: string;

  constructor(dataDir: string) {
    this.path = join(dataDir, "node-key");
  }

  async load(): Promise<PrivateKeyHex | null> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw new Error(`cannot read the node key at ${this.path}: ${(error as Error).message}`);
    }
    const key = text.trim().toLowerCase();
    if (!KEY_PATTERN.test(key)) {
      // Never replace a damaged key silently: the balance belongs to the old address.
      throw new Error(`the node key file ${this.path} is damaged (not a 32-byte hex key); restore it or move it away`);
    }
    return key as PrivateKeyHex;
  }

  async save(key: PrivateKeyHex): Promise<void> {
    if (!KEY_PATTERN.test(key)) throw new Error("refusing to store a malformed key");
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.tmp`;
    await writeFile(tmp, `${key}\n`, { mode: 0o600, flag: "wx" });
    await chmod(tmp, 0o600);
    await rename(tmp, this.path);
  }

  describe(): string {
    return `file ${this.path} (mode 0600)`;
  }
}
