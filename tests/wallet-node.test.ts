/**
 * A real node with its wallet in a real keychain (a Secret Service of the test's own on Linux):
 * it moves its interim key file into the keychain at start, serves jobs, backs up and restores
 * through its control API (logging in again under the restored key), and leaves neither the key
 * nor a phrase in any file of its data folder or in its log. With the keychain locked, a node
 * says why and stays off the network.
 */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { generatePrivateKey, mnemonicToAccount, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCoordinator } from "../coordinator/coordinator";
import { openDatabase, type Database } from "../coordinator/db";
import { readControlFile } from "../electron/agent/control-file";
import { FileKeyStore } from "../electron/agent/key-store";
import { KeychainKeyStore } from "../electron/agent/keychain-key-store";
import { startNodeHost, type NodeHost } from "../electron/agent/node-host";
import { secretFromPhrase, secretFromRawKey } from "../electron/agent/wallet-secret";
import type { NodeState } from "../shared/control-api";
import type { Logger } from "../shared/logger";
import { makeTinyModel } from "./support/network";
import { startSecretService, type SecretService } from "./support/secret-service";

const OTHER_PHRASE = "test test test test test test test test test test test junk";
const keychainService = `offpeak-test-${randomBytes(6).toString("hex")}`;
const saved = { ...process.env };
let service: SecretService | null = null;
let db: Database;
let coordinator: Awaited<ReturnType<typeof startCoordinator>>;
let root: string;
let modelPath: string;
let client: OpenAI;
const logLines: string[] = [];

const logger: Logger = {
  debug: (message, fields) => logLines.push(`${message} ${JSON.stringify(fields ?? {})}`),
  info: (message, fields) => logLines.push(`${message} ${JSON.stringify(fields ?? {})}`),
  warn: (message, fields) => logLines.push(`${message} ${JSON.stringify(fields ?? {})}`),
  error: (message, fields) => logLines.push(`${message} ${JSON.stringify(fields ?? {})}`),
};

async function waitForState(node: NodeHost, predicate: (s: NodeState) => boolean, what: string, timeoutMs = 30_000): Promise<NodeState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await node.agent.getState();
    if (result.ok && predicate(result.value)) return result.value;
    if (Date.now() > deadline) throw new Error(`the node never became ${what}; last: ${result.ok ? `${result.value.activity} — ${result.value.reason}` : result.error}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Calls the node's control HTTP API as `offpeak` does, through its control file. */
async function api(node: NodeHost, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const control = await readControlFile(node.paths.controlFile);
  if (!control.ok) throw new Error(control.error);
  const response = await fetch(`http://127.0.0.1:${control.value.port}${path}`, {
    method,
    headers: { authorization: `Bearer ${control.value.token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Every file under `dir`, as text (binary files as latin1 still show ASCII runs). */
async function allFiles(dir: string): Promise<{ path: string; text: string }[]> {
  const files: { path: string; text: string }[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.push({ path, text: (await readFile(path)).toString("latin1").toLowerCase() });
  }
  return files;
}

/** Every run of three words of `phrase`: a file holding any of them holds part of the phrase. */
function wordRuns(phrase: string): string[] {
  const words = phrase.replace(/^key:\s*/, "").split(" ");
  return words.slice(0, -2).map((_, i) => words.slice(i, i + 3).join(" "));
}

let modelId = "";

async function ask(): Promise<number> {
  const result = await client.chat.completions.create({ model: modelId, messages: [{ role: "user", content: "Hello" }], max_tokens: 8 });
  return result.usage?.completion_tokens ?? 0;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "offpeak-wallet-node-"));
  modelPath = await makeTinyModel(root);
  if (process.platform === "linux") {
    service = await startSecretService();
    process.env.DBUS_SESSION_BUS_ADDRESS = service.address;
  }
  // The node chooses its store as it does for an owner: the keychain, by default.
  delete process.env.OFFPEAK_KEY_STORE;
  process.env.OFFPEAK_KEYCHAIN_SERVICE = keychainService;
  db = await openDatabase(undefined);
  coordinator = await startCoordinator({ db, adminToken: "test-admin-token-0123456789", logger });
  const { key } = await coordinator.createApiKey(10_000_000, "test");
  client = new OpenAI({ apiKey: key, baseURL: `${coordinator.url}/v1`, maxRetries: 0, timeout: 60_000 });
});

afterAll(async () => {
  await coordinator?.close();
  await db?.close();
  if (process.platform !== "linux") {
    for (const name of ["node", "locked"]) await new KeychainKeyStore({ dataDir: join(root, name), service: keychainService }).remove().catch(() => false);
  }
  await service?.close();
  for (const name of ["DBUS_SESSION_BUS_ADDRESS", "OFFPEAK_KEY_STORE", "OFFPEAK_KEYCHAIN_SERVICE"]) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
  await rm(root, { recursive: true, force: true });
});

describe("a node with its wallet in the keychain", () => {
  it("moves its key file in, serves, backs up and restores through its API, and writes no secret anywhere", async () => {
    const dataDir = join(root, "node");
    await mkdir(dataDir, { recursive: true });
    const fileKey = generatePrivateKey();
    await writeFile(join(dataDir, "node-key"), `${fileKey}\n`, { mode: 0o600 });
    const fileAddress = privateKeyToAccount(fileKey).address;

    const node = await startNodeHost({ coordinatorUrl: coordinator.wsUrl, dataDir, modelPath, contextSize: 256, threads: 1, logger });
    try {
      const ready = await waitForState(node, (s) => s.activity === "ready", "ready");
      modelId = ready.model?.id ?? "";
      expect(ready).toMatchObject({ address: fileAddress, wallet: { state: "ready", phraseKind: "raw-key", store: expect.stringContaining(keychainService) } });
      expect(await readdir(dataDir)).not.toContain("node-key");
      expect(await ask()).toBeGreaterThan(0);
      await waitForState(node, (s) => s.earnings.jobsServed === 1, "credited");

      expect(await api(node, "POST", "/api/wallet/backup", {})).toMatchObject({ status: 400 });
      const backup = await api(node, "POST", "/api/wallet/backup", { confirm: true });
      expect(backup).toMatchObject({ status: 200, body: { address: fileAddress, kind: "raw-key" } });
      const keyPhrase = String(backup.body.phrase);
      expect(secretFromPhrase(keyPhrase).privateKey).toBe(fileKey);

      const bad = await api(node, "POST", "/api/wallet/restore", { phrase: `${OTHER_PHRASE.replace(/junk$/, "test")}`, confirm: true });
      expect(bad).toMatchObject({ status: 422, body: { error: expect.stringContaining("checksum does not match") } });
      const preview = await api(node, "POST", "/api/wallet/restore", { phrase: OTHER_PHRASE, confirm: false });
      expect(preview.body).toEqual({ address: mnemonicToAccount(OTHER_PHRASE).address, previousAddress: fileAddress, kind: "bip39", replaced: false });
      expect((await api(node, "GET", "/api/wallet")).body).toMatchObject({ address: fileAddress });

      // Restored while running: the node logs in again as the new address and serves as it.
      const restored = await api(node, "POST", "/api/wallet/restore", { phrase: OTHER_PHRASE, confirm: true });
      expect(restored.body).toMatchObject({ replaced: true });
      const newAddress = mnemonicToAccount(OTHER_PHRASE).address;
      await waitForState(node, (s) => s.address === newAddress && s.coordinator.connected && s.activity === "ready", "logged in as the restored wallet");
      expect(await ask()).toBeGreaterThan(0);
      await waitForState(node, (s) => s.earnings.jobsServed === 1 && s.earnings.balanceMicroUsd > 0, "credited to the restored wallet");

      const back = await api(node, "POST", "/api/wallet/restore", { phrase: keyPhrase, confirm: true });
      expect(back.body).toMatchObject({ address: fileAddress, previousAddress: newAddress, replaced: true });
      await waitForState(node, (s) => s.address === fileAddress && s.coordinator.connected, "back on the first key");
    } finally {
      await node.stop();
    }

    const secrets = [fileKey.slice(2), secretFromPhrase(OTHER_PHRASE).privateKey.slice(2)];
    const runs = [...wordRuns(secretFromRawKey(fileKey).phrase), ...wordRuns(OTHER_PHRASE)];
    const files = await allFiles(dataDir);
    expect(files.length).toBeGreaterThan(3);
    for (const file of files) {
      for (const secret of secrets) expect(file.text.includes(secret), `${file.path} holds a private key`).toBe(false);
      for (const run of runs) expect(file.text.includes(run), `${file.path} holds part of a backup phrase`).toBe(false);
    }
    // The scan is not blind: the file store's own file would be caught.
    const decoy = join(root, "decoy");
    await new FileKeyStore(decoy).save(secretFromRawKey(fileKey));
    const caught = (await allFiles(decoy)).filter((f) => f.text.includes(secrets[0] ?? "-") && runs.some((run) => f.text.includes(run)));
    expect(caught).toHaveLength(1);

    const log = logLines.join("\n").toLowerCase();
    expect(log).toContain("moved the node key from its file into the keychain");
    for (const secret of secrets) expect(log).not.toContain(secret);
    for (const run of runs) expect(log).not.toContain(run);
  });

  it.runIf(process.platform === "linux")("with the keychain locked: says why, makes no key, and stays off the network", async () => {
    await service?.lock();
    const dataDir = join(root, "locked");
    const node = await startNodeHost({ coordinatorUrl: coordinator.wsUrl, dataDir, modelPath, contextSize: 256, threads: 1, logger });
    try {
      const state = await waitForState(node, (s) => s.worker.state === "ready", "loaded");
      expect(state).toMatchObject({
        activity: "error",
        reason: "Keychain locked: unlock it to earn",
        address: "",
        wallet: { state: "locked", reason: "Keychain locked: unlock it to earn" },
        coordinator: { connected: false },
      });
      expect((await node.agent.getDiagnostics()).ok).toBe(true);
      expect((await api(node, "POST", "/api/wallet/unlock")).body).toMatchObject({ state: "locked", address: null });
      expect((await api(node, "POST", "/api/wallet/backup", { confirm: true })).status).toBe(409);
      expect((await client.models.list()).data).toEqual([]);
      const files = await readdir(dataDir);
      expect(files).not.toContain("node-key");
      expect(files).not.toContain("key-location");
    } finally {
      await node.stop();
    }
  });
});
