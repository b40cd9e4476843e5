/**
 * The owner's appeal through the agent, against a real coordinator (PGlite) over the node's real
 * WebSocket and HTTP: the agent learns of its quarantine and shows it in its state, signs and
 * files the appeal (also through the control server's HTTP API, with bad input refused), and
 * the operator's rejection with its reason, then the upholding, reach the state without a read
 * from the UI.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryKeyStore } from "../../tests/support/withdrawal-fixtures";
import { startTestCoordinator, TEST_ADMIN_TOKEN, type TestCoordinator } from "../../coordinator/test-support/harness";
import type { NodeState } from "../../shared/control-api";
import { tinyAgentOptionsWith } from "./agent-fakes.fixture";
import { startControlServer, type ControlServer } from "./control-server";
import { NodeAgent } from "./node-agent";
import { openWallet } from "./wallet";
import { newWalletSecret } from "./wallet-secret";

let t: TestCoordinator;
let agent: NodeAgent;
let server: ControlServer;

beforeAll(async () => {
  t = await startTestCoordinator();
  const wallet = await openWallet(memoryKeyStore(newWalletSecret()));
  agent = new NodeAgent(tinyAgentOptionsWith(wallet, { coordinatorUrl: t.coordinator.wsUrl }));
  await agent.start();
  server = await startControlServer({ control: agent, staticDir: "/nonexistent" });
});

afterAll(async () => {
  await server?.close();
  await agent?.stop();
  await t?.close();
});

const admin = (path: string, body?: unknown) =>
  fetch(`${t.coordinator.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
const control = (path: string, body: unknown) =>
  fetch(`http://127.0.0.1:${server.port}${path}`, { method: "POST", headers: { authorization: `Bearer ${server.token}`, "content-type": "application/json" }, body: JSON.stringify(body) });

/** Resolves with the first pushed state that satisfies `match` (at most 5 s). */
function pushed(match: (state: NodeState) => boolean): Promise<NodeState> {
  return new Promise((resolve, reject) => {
    let stop = () => {};
    const timer = setTimeout(() => {
      stop();
      reject(new Error("no such state was pushed within 5 s"));
    }, 5_000);
    stop = agent.onState((state) => {
      if (!match(state)) return;
      clearTimeout(timer);
      stop();
      resolve(state);
    });
  });
}

describe("the owner's appeal through the agent", () => {
  it("shows the quarantine, files the signed appeal, and shows the rejection's reason and then the upholding", async () => {
    const start = await agent.getState();
    if (!(start.ok && start.value.coordinator.connected)) await pushed((s) => s.coordinator.connected);
    const quarantined = pushed((s) => s.standing.quarantine !== null && s.standing.sync === "idle" && s.standing.quarantine.since !== null);
    expect((await admin(`/admin/nodes/${agent.address}/quarantine`, { reason: "wrong known answers" })).status).toBe(200);
    const state = await quarantined;
    expect(state.standing.quarantine?.reason).toMatch(/wrong known answers/);
    expect(state.standing.appeal).toBeNull();

    // Through the control server: a bad body, an empty or too long statement are refused and nothing is filed.
    expect((await control("/api/appeal", { text: "hi" })).status).toBe(400);
    const long = await control("/api/appeal", { statement: "x".repeat(1_001) });
    expect(long.status).toBe(422);
    expect(((await long.json()) as { error: string }).error).toMatch(/at most 1000 characters/);
    expect((await agent.appeal("   ")).ok).toBe(false);
    const filed = await control("/api/appeal", { statement: "  The driver was updated that night; it is fixed.  " });
    expect(filed.status).toBe(200);
    const appeal = (await filed.json()) as { id: string; status: string; statement: string };
    expect(appeal).toMatchObject({ status: "open", statement: "The driver was updated that night; it is fixed." });
    expect(await agent.getState()).toMatchObject({ value: { standing: { appeal: { id: appeal.id, status: "open" } } } });
    const twice = await agent.appeal("Once more.");
    expect(twice).toMatchObject({ ok: false });
    expect(!twice.ok && twice.error).toMatch(/already open/);

    const rejected = pushed((s) => s.standing.appeal?.status === "rejected" && s.standing.sync === "idle");
    expect((await admin(`/admin/appeals/${appeal.id}/reject`, { reason: "the same wrong answer three times" })).status).toBe(200);
    const afterRejection = await rejected;
    expect(afterRejection.standing.appeal?.reason).toBe("the same wrong answer three times");
    expect(afterRejection.standing.quarantine).not.toBeNull();

    const second = await agent.appeal("Please look again: here is the log of the check.");
    expect(second.ok).toBe(true);
    const upheld = pushed((s) => s.standing.quarantine === null && s.standing.appeal?.status === "upheld");
    expect((await admin(`/admin/appeals/${second.ok ? second.value.id : ""}/uphold`)).status).toBe(200);
    expect((await upheld).standing.forfeitAt).toBeNull();
  });
});
