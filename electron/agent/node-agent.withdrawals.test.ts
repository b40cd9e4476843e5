/**
 * The agent's withdrawal methods against a real coordinator (PGlite): the agent's wallet signs,
 * its client reaches the coordinator over HTTP at the address of its WebSocket, and the control
 * server's HTTP API carries the calls; a locked wallet is refused with the reason.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { creditNode, memoryKeyStore } from "../../tests/support/withdrawal-fixtures";
import { tinyAgentOptionsWith, unconnectedLink } from "./agent-fakes.fixture";
import { startControlServer } from "./control-server";
import { KeyStoreError, type KeyStore } from "./key-store";
import { NodeAgent } from "./node-agent";
import { openWallet, WalletVault } from "./wallet";
import { newWalletSecret } from "./wallet-secret";
import { coordinatorHttpUrl } from "./withdrawal-client";
import { startWithdrawalCoordinator, TEST_WITHDRAWAL_TERMS as TERMS, WITHDRAWAL_DESTINATION as DEST, type WithdrawalCoordinator } from "./withdrawal-agent.fixture";

let pool: WithdrawalCoordinator;

beforeAll(async () => {
  pool = await startWithdrawalCoordinator();
});

afterAll(async () => {
  await pool.close();
});

function agentWith(wallet: WalletVault): NodeAgent {
  return new NodeAgent(tinyAgentOptionsWith(wallet, { coordinatorUrl: pool.coordinator.wsUrl, connect: unconnectedLink }));
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
    await creditNode(pool.db, wallet.address, 10_000_000);
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
