/**
 * `offpeak wallet address|backup|restore` as a person runs them: real processes on a real
 * Secret Service (on Linux, the test's own; elsewhere the OS keychain, under a service name of
 * the test's own), the phrase piped on stdin. And the same commands against a running node,
 * found through its control file.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { access, mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { generatePrivateKey, mnemonicToAccount, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeControlFile } from "../electron/agent/control-file";
import { startControlServer } from "../electron/agent/control-server";
import { KeychainKeyStore } from "../electron/agent/keychain-key-store";
import { runWalletCommand } from "../electron/cli/wallet-command";
import { FakeControlApi } from "./fake-electron/fake-control-api";
import { SAMPLE_ADDRESS, SAMPLE_PHRASE } from "./fake-electron/fake-wallet";
import { startSecretService, type SecretService } from "./support/secret-service";

const BIN = resolve(process.cwd(), "bin/offpeak.mjs");
const OTHER_PHRASE = "test test test test test test test test test test test junk";

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

let service: SecretService | null = null;
let root: string;
const keychainService = `offpeak-test-${randomBytes(6).toString("hex")}`;

/** Runs `offpeak …` with `input` on stdin (a pipe, so not a terminal). */
function offpeak(args: string[], input = "", env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...service?.env, OFFPEAK_KEYCHAIN_SERVICE: keychainService, ...env };
  // vitest runs the other tests with the file store; these are about the keychain.
  if (!("OFFPEAK_KEY_STORE" in env)) delete childEnv.OFFPEAK_KEY_STORE;
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ["pipe", "pipe", "pipe"], env: childEnv });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(input);
  return new Promise((done) => child.once("exit", (code) => done({ code, stdout, stderr })));
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

let savedBus: string | undefined;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "offpeak-cli-wallet-"));
  savedBus = process.env.DBUS_SESSION_BUS_ADDRESS;
  if (process.platform === "linux") {
    service = await startSecretService();
    process.env.DBUS_SESSION_BUS_ADDRESS = service.address;
  }
});

afterAll(async () => {
  if (process.platform !== "linux") {
    for (const name of ["node", "moved"]) await new KeychainKeyStore({ dataDir: join(root, name), service: keychainService }).remove().catch(() => false);
  }
  await service?.close();
  if (savedBus === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
  else process.env.DBUS_SESSION_BUS_ADDRESS = savedBus;
  await rm(root, { recursive: true, force: true });
});

/** Runs `offpeak wallet …` in this process on the test's keychain, with `input` piped on stdin. */
async function wallet(args: string[], input = ""): Promise<Ran> {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l), stopSignal: new Promise<void>(() => {}) };
  const code = await runWalletCommand(args, io, {
    env: { OFFPEAK_KEYCHAIN_SERVICE: keychainService },
    input: { isTTY: false, readAll: async () => input, readLine: async () => "" },
  });
  return { code, stdout: out.map((l) => `${l}\n`).join(""), stderr: err.map((l) => `${l}\n`).join("") };
}

describe("offpeak wallet, with no node running", () => {
  it("shows the address, backs up with confirmation, and restores from stdin only", async () => {
    const dataDir = join(root, "node");
    const first = await wallet(["address", "--data-dir", dataDir]);
    expect(first).toMatchObject({ code: 0, stderr: "" });
    const address = first.stdout.trim();
    expect(address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(JSON.parse((await wallet(["address", "--json", "--data-dir", dataDir])).stdout)).toMatchObject({ address, state: "ready", phraseKind: "bip39" });
    expect(await exists(join(dataDir, "node-key"))).toBe(false);

    const unconfirmed = await wallet(["backup", "--data-dir", dataDir]);
    expect(unconfirmed).toMatchObject({ code: 2, stdout: "" });
    expect(unconfirmed.stderr).toContain("add --yes to confirm");
    // A real process: the phrase on its stdout.
    const backup = await offpeak(["wallet", "backup", "--yes", "--data-dir", dataDir]);
    expect(backup.code).toBe(0);
    const phrase = backup.stdout.trim();
    expect(phrase.split(" ")).toHaveLength(24);
    expect(mnemonicToAccount(phrase).address).toBe(address);
    expect(backup.stderr).toContain(`restore ${address}`);

    const inArgv = await wallet(["restore", "--data-dir", dataDir, ...OTHER_PHRASE.split(" ")]);
    expect(inArgv.code).toBe(2);
    expect(inArgv.stderr).toContain("read from stdin, never from the command line");

    const words = phrase.split(" ");
    if (words[0] !== words[1]) {
      const invalid = await wallet(["restore", "--yes", "--data-dir", dataDir], [words[1], words[0], ...words.slice(2)].join(" "));
      expect(invalid.code).toBe(2);
      expect(invalid.stderr).toContain("Not a valid backup phrase: the phrase's checksum does not match");
      expect(invalid.stderr).not.toContain(words.slice(2, 5).join(" "));
    }

    const notConfirmed = await wallet(["restore", "--data-dir", dataDir], `${OTHER_PHRASE}\n`);
    expect(notConfirmed.code).toBe(2);
    expect(notConfirmed.stderr).toContain(`This phrase restores ${mnemonicToAccount(OTHER_PHRASE).address}; it replaces ${address}`);
    expect((await wallet(["address", "--data-dir", dataDir])).stdout.trim()).toBe(address);

    // A real process: the phrase piped into its stdin.
    const restored = await offpeak(["wallet", "restore", "--yes", "--data-dir", dataDir], `${OTHER_PHRASE}\n`);
    expect(restored).toMatchObject({ code: 0, stdout: `${mnemonicToAccount(OTHER_PHRASE).address}\n` });
    expect((await wallet(["address", "--data-dir", dataDir])).stdout.trim()).toBe(mnemonicToAccount(OTHER_PHRASE).address);
    const back = await wallet(["restore", "--yes", "--data-dir", dataDir], phrase);
    expect(back.stdout.trim()).toBe(address);
    expect((await wallet(["address", "--data-dir", dataDir])).stdout.trim()).toBe(address);
  });

  it("moves an interim key file into the keychain", async () => {
    const dataDir = join(root, "moved");
    const key = generatePrivateKey();
    await mkdir(dataDir, { recursive: true });
    await writeFile(join(dataDir, "node-key"), `${key}\n`, { mode: 0o600 });
    const moved = await wallet(["address", "--data-dir", dataDir]);
    expect(moved.stdout.trim()).toBe(privateKeyToAccount(key).address);
    expect(await exists(join(dataDir, "node-key"))).toBe(false);
    const backup = await wallet(["backup", "--yes", "--data-dir", dataDir]);
    expect(backup.stdout).toMatch(/^key: (\w+ ){23}\w+\n$/);
    expect(backup.stderr).toContain("This phrase is the key itself");
  });

  it.runIf(process.platform === "linux")("without a Secret Service: says why and makes no key; the file store only on request", async () => {
    const dataDir = join(root, "headless");
    const noBus = { DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(root, "no-bus-here")}` };
    const refused = await offpeak(["wallet", "address", "--data-dir", dataDir], "", noBus);
    expect(refused).toMatchObject({ code: 1, stdout: "" });
    expect(refused.stderr).toMatch(/^Keychain unavailable: .*set OFFPEAK_KEY_STORE=file to keep the key in a file of the data folder instead\n$/);
    expect(await exists(join(dataDir, "node-key"))).toBe(false);

    const inFile = await offpeak(["wallet", "address", "--data-dir", dataDir], "", { ...noBus, OFFPEAK_KEY_STORE: "file" });
    expect(inFile.code).toBe(0);
    expect((await stat(join(dataDir, "node-key"))).mode & 0o777).toBe(0o600);
  });

  // Last: a locked keychain cannot be unlocked again without a person at the prompt.
  it.runIf(process.platform === "linux")("with the keychain locked: says so, makes no key, restores nothing", async () => {
    await service?.lock();
    const locked = await wallet(["address", "--data-dir", join(root, "node")]);
    expect(locked).toEqual({ code: 1, stdout: "", stderr: "Keychain locked: unlock it to earn\n" });
    const fresh = join(root, "fresh");
    expect((await wallet(["address", "--data-dir", fresh])).stderr).toBe("Keychain locked: unlock it to earn\n");
    const restore = await wallet(["restore", "--yes", "--data-dir", fresh], OTHER_PHRASE);
    expect(restore.code).toBe(1);
    expect(restore.stderr).toContain("Keychain locked: unlock it to earn");
    expect(await exists(join(fresh, "node-key"))).toBe(false);
    expect(await exists(join(fresh, "key-location"))).toBe(false);
  });
});

describe("offpeak wallet, with a node running", () => {
  it("asks the node through its control API", async () => {
    const dataDir = join(root, "running");
    const control = new FakeControlApi();
    const server = await startControlServer({ control, staticDir: root });
    try {
      await mkdir(dataDir, { recursive: true });
      await writeControlFile(join(dataDir, "control.json"), { pid: process.pid, port: server.port, token: server.token, dashboardUrl: server.url, startedAt: Date.now() });
      const out: string[] = [];
      const err: string[] = [];
      const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l), stopSignal: new Promise<void>(() => {}) };
      const piped = (text: string) => ({ isTTY: false, readAll: async () => text, readLine: async () => "" });

      expect(await runWalletCommand(["address", "--data-dir", dataDir], io, { input: piped("") })).toBe(0);
      expect(out).toEqual([SAMPLE_ADDRESS]);
      expect(await runWalletCommand(["backup", "--yes", "--data-dir", dataDir], io, { input: piped("") })).toBe(0);
      expect(out.at(-1)).toBe(SAMPLE_PHRASE);
      expect(control.wallet.backupCalls).toEqual([true]);

      expect(await runWalletCommand(["restore", "--data-dir", dataDir], io, { input: piped(OTHER_PHRASE) })).toBe(2);
      expect(control.wallet.restoreCalls).toEqual([false]);
      expect(control.state.address).toBe(SAMPLE_ADDRESS);
      expect(await runWalletCommand(["restore", "--yes", "--data-dir", dataDir], io, { input: piped(OTHER_PHRASE) })).toBe(0);
      expect(control.wallet.restoreCalls).toEqual([false, false, true]);
      expect(control.state.address).toBe(mnemonicToAccount(OTHER_PHRASE).address);
      expect(out.at(-1)).toBe(mnemonicToAccount(OTHER_PHRASE).address);

      expect(await runWalletCommand(["restore", "--yes", "--data-dir", dataDir], io, { input: piped("one two three") })).toBe(2);
      expect(err.at(-1)).toContain("Not a valid backup phrase");

      control.wallet.lock();
      expect(await runWalletCommand(["address", "--data-dir", dataDir], io, { input: piped("") })).toBe(1);
      expect(err.at(-1)).toBe("Keychain locked: unlock it to earn");
    } finally {
      await server.close();
    }
  });
});
