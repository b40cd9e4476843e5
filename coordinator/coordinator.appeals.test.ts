/**
 * Owners' appeals against a quarantine, through a running coordinator on both databases: an
 * appeal is taken only with the quarantined node's own signature, for this coordinator, fresh,
 * within 1,000 characters, one open at a time; the operator lists appeals, upholds one (the
 * quarantine and the hold are lifted, held credits pending again) or rejects it with a reason
 * (the quarantine stays, the connected node is told the reason and reads it in its standing).
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { APPEAL_PATH, STANDING_HEADERS, STANDING_PATH, standingReportSchema, type AppealView } from "../shared/appeal";
import { appealTypedData, standingReadTypedData } from "../shared/typed-data";
import { Ledger } from "./ledger";
import { startTestCoordinator, TEST_ADMIN_TOKEN, waitUntil, type TestCoordinator } from "./test-support/harness";
import { fundedConsumer, openJob, settle } from "./test-support/ledger-jobs";
import { SimNode } from "./test-support/sim-node";
import { auditBooks } from "./test-support/ledger-books";
import { describeOnEachDatabase } from "../tests/support/database-suites";

const HOUR = 3_600_000;

describeOnEachDatabase("appeals", (database) => {
  let now = new Date("2026-05-01T08:00:00Z");
  const clock = () => now;
  let t: TestCoordinator;
  let ledger: Ledger;

  beforeAll(async () => {
    t = await startTestCoordinator({ clock, verificationWindowMs: HOUR, releaseIntervalMs: 3_600_000 }, database.target());
    ledger = new Ledger(t.db, clock, { verificationWindowMs: HOUR });
  });
  afterAll(async () => {
    await t?.close();
  });

  const admin = (path: string, init: RequestInit = {}) =>
    fetch(`${t.coordinator.url}${path}`, { ...init, headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, "content-type": "application/json" } });

  async function appeal(signer: PrivateKeyAccount, statement: string, opts: { node?: string; timestamp?: number; coordinator?: string } = {}) {
    const node = (opts.node ?? signer.address) as `0x${string}`;
    const timestamp = opts.timestamp ?? now.getTime();
    const signature = await signer.signTypedData(appealTypedData(node, statement, timestamp, opts.coordinator ?? t.coordinator.coordinatorId));
    return post({ node, statement, timestamp, signature });
  }
  const post = async (body: unknown) => {
    const res = await fetch(`${t.coordinator.url}${APPEAL_PATH}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { code: string; message: string } } };
  };
  async function standing(signer: PrivateKeyAccount) {
    const timestamp = now.getTime();
    const signature = await signer.signTypedData(standingReadTypedData(signer.address, timestamp, t.coordinator.coordinatorId));
    const res = await fetch(`${t.coordinator.url}${STANDING_PATH}`, {
      headers: { [STANDING_HEADERS.node]: signer.address, [STANDING_HEADERS.timestamp]: String(timestamp), [STANDING_HEADERS.signature]: signature },
    });
    expect(res.status).toBe(200);
    return standingReportSchema.parse(await res.json());
  }
  /** A node with one settled consumer job, then quarantined by the operator (its credit held). */
  async function quarantinedNode(cost = 1_000): Promise<PrivateKeyAccount> {
    const account = privateKeyToAccount(generatePrivateKey());
    const consumer = await fundedConsumer(t.db, 100_000, now);
    const job = await openJob(ledger, consumer, cost);
    if (!job) throw new Error("reservation refused");
    expect((await settle(ledger, job, account.address, cost)).status).toBe("settled");
    const res = await admin(`/admin/nodes/${account.address}/quarantine`, { method: "POST", body: JSON.stringify({ reason: "wrong answers" }) });
    expect(res.status).toBe(200);
    expect((await ledger.nodeEarnings(account.address)).heldMicroUsd).toBe(cost);
    return account;
  }

  it("takes an appeal only from the quarantined node's own signature, fresh, for this coordinator, within 1,000 characters", async () => {
    const node = await quarantinedNode();
    const stranger = privateKeyToAccount(generatePrivateKey());
    const byStranger = await appeal(stranger, "let it go", { node: node.address });
    expect(byStranger.status).toBe(401);
    expect(byStranger.body.error?.code).toBe("wrong_signer");
    expect((await appeal(node, "elsewhere", { coordinator: "http://another.example" })).body.error?.code).toBe("wrong_signer");
    const stale = await appeal(node, "old", { timestamp: now.getTime() - 10 * 60_000 });
    expect([stale.status, stale.body.error?.code]).toEqual([401, "stale_signature"]);
    const long = await appeal(node, "x".repeat(1_001));
    expect(long.status).toBe(400);
    expect(long.body.error?.message).toMatch(/statement/);
    expect((await appeal(node, "   ")).status).toBe(400);
    expect((await post({ node: node.address, statement: "hi" })).status).toBe(400);
    const notQuarantined = privateKeyToAccount(generatePrivateKey());
    expect((await appeal(notQuarantined, "I am fine")).body.error?.code).toBe("not_quarantined");
    // Nothing of these was filed.
    expect((await standing(node)).appeal).toBeNull();

    const filed = await appeal(node, "My GPU driver was updated that night; it answers right again.");
    expect(filed.status).toBe(201);
    expect(filed.body).toMatchObject({ status: "open", statement: "My GPU driver was updated that night; it answers right again.", reason: null });
    const again = await appeal(node, "Please look again", { timestamp: now.getTime() + 1 });
    expect([again.status, again.body.error?.code]).toEqual([409, "appeal_open"]);
    const view = await standing(node);
    expect(view.appeal?.status).toBe("open");
    expect(view.quarantine?.reason).toMatch(/wrong answers/);
    // An open appeal stops the forfeiture clock.
    expect(view.forfeitAt).toBeNull();
    expect(view.heldMicroUsd).toBe(1_000);
  });

  it("lets the operator reject an appeal with a reason the node is told; the quarantine and the hold stay", async () => {
    const node = await quarantinedNode(2_000);
    const filed = await appeal(node, "It was a one-off.");
    expect(filed.status).toBe(201);
    const id = (filed.body as unknown as AppealView).id;
    const listed = (await (await admin("/admin/appeals?status=open")).json()) as { appeals: { id: string; address: string }[] };
    expect(listed.appeals.map((a) => a.id)).toContain(id);
    expect(listed.appeals.find((a) => a.id === id)?.address).toBe(node.address.toLowerCase());
    expect((await admin("/admin/appeals?status=maybe")).status).toBe(400);
    expect((await admin(`/admin/appeals/${id}/reject`, { method: "POST", body: JSON.stringify({ reason: "" }) })).status).toBe(400);
    const rejected = await admin(`/admin/appeals/${id}/reject`, { method: "POST", body: JSON.stringify({ reason: "the same wrong answer three times" }) });
    expect(rejected.status).toBe(200);
    expect(await rejected.json()).toMatchObject({ status: "rejected", reason: "the same wrong answer three times" });
    expect((await admin(`/admin/appeals/${id}/uphold`, { method: "POST" })).status).toBe(409);
    expect((await admin(`/admin/appeals/999999/uphold`, { method: "POST" })).status).toBe(404);
    const view = await standing(node);
    expect(view.appeal).toMatchObject({ status: "rejected", reason: "the same wrong answer three times" });
    expect(view.quarantine).not.toBeNull();
    expect(view.heldMicroUsd).toBe(2_000);
    expect(await ledger.holdOf(node.address)).not.toBeNull();
  });

  it("tells a connected node that its appeal was rejected, and why", async () => {
    const key = generatePrivateKey();
    const account = privateKeyToAccount(key);
    const sim = await SimNode.connect({ wsUrl: t.coordinator.wsUrl, privateKey: key, models: ["m"] });
    try {
      expect((await admin(`/admin/nodes/${account.address}/quarantine`, { method: "POST", body: JSON.stringify({ reason: "odd answers" }) })).status).toBe(200);
      await sim.waitFor((m) => m.type === "error" && m.code === "quarantined");
      const filed = await appeal(account, "Please check again.");
      const id = (filed.body as unknown as AppealView).id;
      await admin(`/admin/appeals/${id}/reject`, { method: "POST", body: JSON.stringify({ reason: "checked twice" }) });
      const told = await sim.waitFor((m) => m.type === "error" && m.code === "appeal_rejected");
      expect(told).toMatchObject({ message: "appeal rejected: checked twice" });
    } finally {
      await sim.close();
    }
  });

  it("lets the operator uphold an appeal: the quarantine and the hold are lifted and the node may appeal no more", async () => {
    const node = await quarantinedNode(3_000);
    const filed = await appeal(node, "The driver is fixed.");
    const id = (filed.body as unknown as AppealView).id;
    const upheld = await admin(`/admin/appeals/${id}/uphold`, { method: "POST" });
    expect(upheld.status).toBe(200);
    expect(await upheld.json()).toMatchObject({ id, status: "upheld" });
    expect(await ledger.holdOf(node.address)).toBeNull();
    const earnings = await ledger.nodeEarnings(node.address);
    expect([earnings.heldMicroUsd, earnings.pendingMicroUsd]).toEqual([0, 3_000]);
    const view = await standing(node);
    expect(view.quarantine).toBeNull();
    expect(view.appeal?.status).toBe("upheld");
    expect((await appeal(node, "one more", { timestamp: now.getTime() + 5 })).body.error?.code).toBe("not_quarantined");
    // Past the verification window the credit becomes available like any other.
    now = new Date(now.getTime() + 2 * HOUR);
    await ledger.releaseDueCredits();
    expect((await ledger.nodeEarnings(node.address)).availableMicroUsd).toBe(3_000);
    await waitUntil(async () => (await auditBooks(t.db)).length === 0, 1_000, "sound books");
  });

  it("releasing a node from the admin's node page upholds its open appeal too", async () => {
    const node = await quarantinedNode(500);
    const filed = await appeal(node, "Released?");
    const id = (filed.body as unknown as AppealView).id;
    expect((await admin(`/admin/nodes/${node.address}/release`, { method: "POST" })).status).toBe(200);
    const listed = (await (await admin("/admin/appeals?status=upheld")).json()) as { appeals: { id: string }[] };
    expect(listed.appeals.map((a) => a.id)).toContain(id);
    expect(await auditBooks(t.db)).toEqual([]);
  });

  it("limits how often one node may try to appeal", async () => {
    now = new Date(now.getTime() + 60_000);
    const node = await quarantinedNode(100);
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await appeal(node, `try ${i}`, { timestamp: now.getTime() + i })).status);
    expect(statuses[0]).toBe(201);
    expect(statuses.slice(1, 6).every((s) => s === 409)).toBe(true);
    expect(statuses.slice(6)).toEqual([429, 429]);
  });
});
