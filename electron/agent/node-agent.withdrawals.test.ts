/**
 * The agent's withdrawal methods against a real coordinator (PGlite): the agent's wallet signs,
 * its client reaches the coordinator over HTTP at the address of its WebSocket, and the control
 * server's HTTP API carries the calls; a locked wallet is refused with the reason.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCoordinator, type RunningCoordinator } from "../../coordinator/coordinator";
import { openDatabase, type Database } from "../../coordinator/db";
import { silentLogger } from "../../shared/logger";
import type { WithdrawalTerms } from "../../shared/withdrawal";
import { creditNode, memoryKeyStore } from "../../tests/support/withdrawal-fixtures";
import { ScriptedEngine } from "./agent-fakes.fixture";
import { startControlServer } from "./control-server";
import { KeyStoreError, type KeyStore } from "./key-store";
import { NodeAgent } from "./node-agent";
import { MemorySettingsStore } from "./settings-store";
import { openWallet, WalletVault } from "./wallet";
import { newWalletSecret } from "./wallet-secret";
import { coordinatorHttpUrl } from "./withdrawal-client";

const TERMS: WithdrawalTerms = {
  chainId: 1337,
  tokenAddress: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  tokenSymbol: "TUSD",
  tokenDecimals: 6,
  feeMicroUsd: 50_000,
  minimumMicroUsd: 1_000_000,
  dailyLimitMicroUsd: 100_000_000,
  confirmations: 1,
};
const DEST = "0x90F8bf6A479f320ead074411a4B0e7944Ea8c9C1";

let db: Database;
let coordinator: RunningCoordinator;

beforeAll(async () => {
  db = await openDatabase(undefined);
  coordinator = await startCoordinator({ db, adminToken: "admin-token-for-tests", withdrawals: { terms: TERMS } });
});

afterAll(async () => {
  await coordinator.close();
  await db.close();
});

function agentWith(wallet: WalletVault): NodeAgent {
  return new NodeAgent({
    coordinatorUrl: coordinator.wsUrl,
    model: { id: "tiny", name: "Tiny", path: "/models/tiny.gguf", bytes: 1, demo: true },
    createEngine: () => new ScriptedEngine(),
    settings: new MemorySettingsStore(),
    sandbox: { kind: "bubblewrap", active: true, detail: "bubblewrap: no network" },
    wallet,
    logger: silentLogger,
    agentVersion: "test",
    connect: () => ({ connected: false, start() {}, send: () => false, close: async () => {} }),
  });
}

describe("the agent's withdrawals", () => {
  it("maps the node's WebSocket address to the coordinator's HTTP address", () => {
    expect(coordinatorHttpUrl("ws://127.0.0.1:4100/v1/node")).toBe("http://127.0.0.1:4100");
    expect(coordinatorHttpUrl("wss://pool.example.org/v1/node")).toBe("https://pool.example.org");
    expect(() => coordinatorHttpUrl("http://127.0.0.1:4100/v1/node")).toThrow(/ws:\/\/ or wss:\/\//);
  });

  it("signs with the node's wallet and reaches the coordinator, also through the control server", async () => {
    const wallet = await openWallet(memoryKeyStore(newWalletSecret()));
    const agent = agentWith(wallet);
    await creditNode(db, wallet.address, 10_000_000);
    const terms = await agent.getWithdrawalTerms();
    expect(terms).toEqual({ ok: true, value: { ...TERMS, address: wallet.address, availableMicroUsd: 10_000_000, withdrawnTodayMicroUsd: 0 } });
    const made = await agent.withdraw({ to: DEST, amountMicroUsd: 2_000_000 });
    expect(made).toMatchObject({ ok: true, value: { to: DEST, amountMicroUsd: 2_000_000, feeMicroUsd: 50_000, status: "requested" } });

    const server = await startControlServer({ control: agent, staticDir: "/nonexistent" });
    try {
      const call = (method: string, path: string, body?: unknown) =>
        fetch(`http://127.0.0.1:${server.port}${path}`, {
          method,
          headers: { authorization: `Bearer ${server.token}`, "content-type": "application/json" },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      const listed = await call("GET", "/api/withdrawals");
      expect(listed.status).toBe(200);
      expect(await listed.json()).toEqual([made.ok && made.value]);
      const bad = await call("POST", "/api/withdrawals", { to: DEST, amountMicroUsd: "2" });
      expect(bad.status).toBe(400);
      const refused = await call("POST", "/api/withdrawals", { to: DEST, amountMicroUsd: 500_000 });
      expect(refused.status).toBe(422);
      expect(await refused.json()).toEqual({ error: "The smallest withdrawal is $1.00." });
      expect((await call("DELETE", "/api/withdrawals")).status).toBe(405);
    } finally {
      await server.close();
    }
  });

  it("says why when the wallet is locked, without asking the coordinator", async () => {
    const locked: KeyStore = {
      load: async () => {
        throw new KeyStoreError("locked", "Keychain locked: unlock it to earn");
      },
      save: async () => {},
      describe: () => "test keychain",
    };
    const wallet = new WalletVault(locked);
    await wallet.open();
    const agent = agentWith(wallet);
    expect(await agent.withdraw({ to: DEST, amountMicroUsd: 2_000_000 })).toEqual({ ok: false, error: "Keychain locked: unlock it to earn" });
    expect(await agent.listWithdrawals()).toEqual({ ok: false, error: "Keychain locked: unlock it to earn" });
  });
});
