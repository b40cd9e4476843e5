/**
 * The node's wallet in a real OS keychain: on Linux a Secret Service (gnome-keyring) of the
 * test's own on a private D-Bus; elsewhere the OS keychain. Every test files its entries under a
 * service name of its own (`offpeak-test-…`) and deletes them, so no real entry is ever met.
 */
import { randomBytes } from "node:crypto";
import { access, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validateMnemonic } from "@scure/bip39";
import { wordlist } from "@scure/bip39/wordlists/english";
import { generatePrivateKey, mnemonicToAccount, privateKeyToAccount } from "viem/accounts";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { KeychainKeyStore, KEYCHAIN_LOCKED_REASON } from "../electron/agent/keychain-key-store";
import { chooseKeyStore, KEY_LOCATION_FILE } from "../electron/agent/node-key-store";
import { WalletVault } from "../electron/agent/wallet";
import { WalletControls } from "../electron/agent/wallet-controls";
import { PhraseError } from "../electron/agent/wallet-secret";
import { silentLogger } from "../shared/logger";
import { startSecretService, type SecretService } from "./support/secret-service";

const linux = process.platform === "linux";
let service: SecretService | null = null;
let savedBus: string | undefined;
let keychainService: string;
let dir: string;
const stores: KeychainKeyStore[] = [];

/** The store the node would choose for `dataDir`, under this test's keychain service. */
function nodeStore(dataDir = dir, extra: NodeJS.ProcessEnv = {}) {
  return chooseKeyStore({ dataDir, env: { OFFPEAK_KEYCHAIN_SERVICE: keychainService, ...extra } });
}

/** Direct access to the keychain entry of `dataDir` (removed after the test). */
function entryOf(dataDir = dir): KeychainKeyStore {
  const store = new KeychainKeyStore({ dataDir, service: keychainService });
  stores.push(store);
  return store;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

function useBus(address: string | undefined): void {
  if (address === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
  else process.env.DBUS_SESSION_BUS_ADDRESS = address;
}

beforeAll(async () => {
  savedBus = process.env.DBUS_SESSION_BUS_ADDRESS;
  if (linux) {
    service = await startSecretService();
    useBus(service.address);
  }
});

afterAll(async () => {
  await service?.close();
  useBus(savedBus);
});

beforeEach(async () => {
  keychainService = `offpeak-test-${randomBytes(6).toString("hex")}`;
  dir = await mkdtemp(join(tmpdir(), "offpeak-keychain-"));
});

afterEach(async () => {
  for (const store of stores.splice(0)) await store.remove().catch(() => false);
  await rm(dir, { recursive: true, force: true });
});

describe("the wallet in the OS keychain", () => {
  it("creates a 24-word wallet on first run, opens the same key again, and writes no key file", async () => {
    entryOf();
    const first = new WalletVault(nodeStore());
    const status = await first.open();
    expect(status).toMatchObject({ state: "ready", reason: null, phraseKind: "bip39" });
    expect(status.store).toContain(`service "${keychainService}"`);
    const backup = first.backup();
    expect(backup.phrase.split(" ")).toHaveLength(24);
    // MetaMask-compatible: the phrase at m/44'/60'/0'/0/0 is the node's address.
    expect(mnemonicToAccount(backup.phrase).address).toBe(status.address);

    const again = new WalletVault(nodeStore());
    expect((await again.open()).address).toBe(status.address);
    expect(await exists(join(dir, "node-key"))).toBe(false);
    const marker = await readFile(join(dir, KEY_LOCATION_FILE), "utf8");
    expect(marker).toContain("OS keychain");
    expect(marker).not.toContain(backup.phrase.split(" ")[0] + " " + backup.phrase.split(" ")[1]);
  });

  it("moves the interim node-key file into the keychain, then deletes the file", async () => {
    const key = generatePrivateKey();
    await writeFile(join(dir, "node-key"), `${key}\n`, { mode: 0o600 });
    const entry = entryOf();
    const vault = new WalletVault(nodeStore());
    const status = await vault.open();
    expect(status).toMatchObject({ state: "ready", address: privateKeyToAccount(key).address, phraseKind: "raw-key" });
    expect(await exists(join(dir, "node-key"))).toBe(false);
    expect((await entry.load())?.privateKey).toBe(key);

    // Its phrase is the key itself, flagged "key:", and restores exactly that key.
    const backup = vault.backup();
    expect(backup.phrase).toMatch(/^key: (\w+ ){23}\w+$/);
    const elsewhere = join(dir, "other-node");
    entryOf(elsewhere);
    const restored = new WalletVault(nodeStore(elsewhere));
    expect((await restored.restore(backup.phrase)).address).toBe(privateKeyToAccount(key).address);
  });

  it("backs up and restores: the same address comes back, in place or on another data folder", async () => {
    entryOf();
    const vault = new WalletVault(nodeStore());
    const original = (await vault.open()).address;
    const phrase = vault.backup().phrase;
    const controls = new WalletControls(vault, silentLogger);

    const other = "test test test test test test test test test test test junk";
    const preview = await controls.restore({ phrase: other, confirm: false });
    expect(preview).toEqual({ ok: true, value: { address: mnemonicToAccount(other).address, previousAddress: original, kind: "bip39", replaced: false } });
    expect(vault.status().address).toBe(original);
    expect(await controls.restore({ phrase: other, confirm: true })).toMatchObject({ ok: true, value: { replaced: true } });
    expect(vault.status().address).toBe(mnemonicToAccount(other).address);
    expect((await new WalletVault(nodeStore()).open()).address).toBe(mnemonicToAccount(other).address);

    expect(await controls.restore({ phrase: `  ${phrase.toUpperCase()}\n`, confirm: true })).toMatchObject({ ok: true, value: { address: original } });
    expect((await new WalletVault(nodeStore()).open()).address).toBe(original);

    const elsewhere = join(dir, "other-node");
    entryOf(elsewhere);
    expect((await new WalletVault(nodeStore(elsewhere)).restore(phrase)).address).toBe(original);
  });

  it("refuses an invalid phrase with the reason and keeps the key", async () => {
    entryOf();
    const vault = new WalletVault(nodeStore());
    const original = (await vault.open()).address;
    const words = vault.backup().phrase.split(" ");
    const controls = new WalletControls(vault, silentLogger);
    // Two neighbouring words swapped; the first such swap that breaks the 8-bit checksum (about
    // 1 in 256 swaps keeps it valid by chance, so a fixed swap would fail now and then).
    const swaps = words.slice(1).map((_, i) => [...words.slice(0, i), words[i + 1], words[i], ...words.slice(i + 2)].join(" "));
    const swapped = swaps.find((phrase) => !validateMnemonic(phrase, wordlist));
    if (swapped === undefined) throw new Error("every swap of neighbouring words kept the checksum");
    const cases: [string, RegExp][] = [
      [swapped, /checksum does not match/],
      [[...words.slice(0, 23), "notaword"].join(" "), /word 24 is not a word of the BIP-39 English list/],
      [words.slice(0, 23).join(" "), /has 12, 15, 18, 21 or 24 words, this one has 23/],
      [`key: ${words.slice(0, 12).join(" ")}`, /a key: phrase has 24 words/],
      ["   ", /empty/],
    ];
    for (const [phrase, reason] of cases) {
      const result = await controls.restore({ phrase, confirm: true });
      expect(result.ok ? "accepted" : result.error).toMatch(reason);
      if (!result.ok) expect(result.error).not.toContain(words.slice(2, 5).join(" "));
    }
    await expect(vault.restore(swapped)).rejects.toBeInstanceOf(PhraseError);
    expect(vault.status().address).toBe(original);
    expect((await new WalletVault(nodeStore()).open()).address).toBe(original);
  });

  it("refuses a damaged keychain entry and never writes over it", async () => {
    const entry = entryOf();
    const { AsyncEntry } = await import("@napi-rs/keyring");
    await new AsyncEntry(keychainService, entry.account, { linux: { store: "secret-service" } }).setPassword("not a wallet");
    const vault = new WalletVault(nodeStore());
    const status = await vault.open();
    expect(status.state).toBe("damaged");
    expect(status.reason).toMatch(/^Keychain entry damaged: .*restore the wallet from its backup phrase$/);
    expect(status.address).toBeNull();
    await expect(vault.signLogin("n".repeat(32), "c")).rejects.toThrow(/Keychain entry damaged/);
    expect(await new AsyncEntry(keychainService, entry.account, { linux: { store: "secret-service" } }).getPassword()).toBe("not a wallet");
  });

  it("refuses two different keys rather than choosing one", async () => {
    entryOf();
    const vault = new WalletVault(nodeStore());
    const inKeychain = (await vault.open()).address;
    const stray = generatePrivateKey();
    await writeFile(join(dir, "node-key"), `${stray}\n`);
    const status = await new WalletVault(nodeStore()).open();
    expect(status.state).toBe("damaged");
    expect(status.reason).toContain(`holds ${inKeychain}`);
    expect(status.reason).toContain(`holds ${privateKeyToAccount(stray).address}`);
    expect(await readFile(join(dir, "node-key"), "utf8")).toBe(`${stray}\n`);
  });
});

// The library keeps its first D-Bus connection for the life of the process, so every test here
// uses the one Secret Service of this file; the one that locks and stops it comes last. A
// process that never had a Secret Service is tested through the CLI (tests/cli-wallet.test.ts).
describe.runIf(linux)("a keychain that cannot answer", () => {
  it("a key kept in the keychain is never replaced by a new one when the entry cannot be found", async () => {
    entryOf();
    const original = (await new WalletVault(nodeStore()).open()).address;
    // The file store, chosen by mistake, finds the note that the key is in the keychain.
    const fileMode = await new WalletVault(nodeStore(dir, { OFFPEAK_KEY_STORE: "file" })).open();
    expect(fileMode.state).toBe("unavailable");
    expect(fileMode.reason).toMatch(/kept in the OS keychain/);
    expect(await exists(join(dir, "node-key"))).toBe(false);
    // Another keychain (here: another service name) has no entry: the node says so and waits.
    const other = await new WalletVault(chooseKeyStore({ dataDir: dir, env: { OFFPEAK_KEYCHAIN_SERVICE: `${keychainService}-other` } })).open();
    expect(other).toMatchObject({ state: "unavailable", address: null });
    expect(other.reason).toMatch(/has no entry, yet this data folder's key was kept there/);
    expect((await new WalletVault(nodeStore()).open()).address).toBe(original);
    expect(() => nodeStore(dir, { OFFPEAK_KEY_STORE: "plaintext" })).toThrow(/OFFPEAK_KEY_STORE must be "keychain" or "file"/);
  });

  it("locked: says so and makes no key, backup and restore are refused; stopped: unavailable", async () => {
    entryOf();
    const kept = new WalletVault(nodeStore());
    expect((await kept.open()).state).toBe("ready");
    const empty = join(dir, "fresh");
    await service?.lock();

    const locked = await new WalletVault(nodeStore()).open();
    expect(locked).toEqual(expect.objectContaining({ state: "locked", reason: KEYCHAIN_LOCKED_REASON, address: null }));
    const fresh = new WalletVault(nodeStore(empty));
    expect(await fresh.open()).toMatchObject({ state: "locked", reason: KEYCHAIN_LOCKED_REASON, address: null });
    expect(await exists(join(empty, "node-key"))).toBe(false);
    expect(await exists(join(empty, KEY_LOCATION_FILE))).toBe(false);
    const controls = new WalletControls(fresh, silentLogger);
    expect(await controls.backup(true)).toEqual({ ok: false, error: KEYCHAIN_LOCKED_REASON });
    expect(await controls.restore({ phrase: "test test test test test test test test test test test junk", confirm: true })).toEqual({
      ok: false,
      error: `The wallet was not replaced: ${KEYCHAIN_LOCKED_REASON}`,
    });
    // A wallet opened before the lock keeps signing: the key is in memory.
    expect(await kept.signLogin("n".repeat(32), "c")).toMatch(/^0x/);

    await service?.stopKeyring();
    const stopped = await new WalletVault(nodeStore()).open();
    expect(stopped.state).toBe("unavailable");
    expect(stopped.reason).toMatch(/^Keychain unavailable: .*set OFFPEAK_KEY_STORE=file to keep the key in a file of the data folder instead$/);
    stores.length = 0;
  });
});
