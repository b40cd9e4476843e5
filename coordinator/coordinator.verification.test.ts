/**
 * Verification with simulated nodes: a node that answers with plausible but wrong text, and one
 * that inflates its token counts, are caught by known-answer probes (or by re-runs) within a
 * bounded number of jobs, quarantined with the reason sent to them, never routed to again, and
 * never credited for the bad work: the failed check is not paid and their pending earnings are held.
 */
import { afterEach, describe, expect, it } from "vitest";
import OpenAI from "openai";
import type { CoordinatorMessage, DiagnosisView } from "../shared/protocol";
import type { SimNode, SimNodeOptions } from "./test-support/sim-node";
import { isQuarantined, startCheckedPool, WRONG_TOKENS as WRONG, type CheckedPool } from "./test-support/cheating-nodes";
import { waitUntil, type TestCoordinator } from "./test-support/harness";
import type { VerificationOptions } from "./verification";

const DAY = 86_400_000;

let t: TestCoordinator;
let pool: CheckedPool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

async function setup(verification: VerificationOptions, cheat: Omit<SimNodeOptions, "wsUrl">) {
  pool = await startCheckedPool(verification, cheat, { verificationWindowMs: DAY });
  t = pool.t;
  const { key } = await t.coordinator.createApiKey(50_000_000, "verification");
  const client = new OpenAI({ apiKey: key, baseURL: `${t.coordinator.url}/v1`, maxRetries: 0 });
  return { honest: pool.honest, cheater: pool.cheater, client };
}

const quarantined = (n: SimNode) => isQuarantined(t, n);

async function checks(): Promise<{ node_address: string; kind: string; verdict: string; job_id: string; reason: string | null }[]> {
  const { rows } = await t.db.query<{ node_address: string; kind: string; verdict: string; job_id: string; reason: string | null }>(
    `SELECT node_address, kind, verdict, job_id, reason FROM verification_checks ORDER BY id`,
  );
  return rows;
}

/**
 * Rounds of three concurrent requests (one per node, capacity 1 each), each round followed by
 * its checks, until the cheater is quarantined; returns the rounds it took.
 */
async function serveUntilCaught(client: OpenAI, cheater: SimNode, maxRounds: number, checksPerRound: number): Promise<number> {
  for (let round = 1; round <= maxRounds; round++) {
    const before = (await checks()).length;
    await Promise.all([0, 1, 2].map(() => client.completions.create({ model: "v-model", prompt: "Tell me a story", max_tokens: 16, temperature: 0 })));
    await waitUntil(async () => (await checks()).length >= before + checksPerRound, 5_000, "this round's checks");
    if (await quarantined(cheater)) return round;
  }
  throw new Error(`the cheater was not caught in ${maxRounds} rounds`);
}

async function expectCaughtAndHeld(cheater: SimNode, honest: SimNode[], client: OpenAI, reason: RegExp) {
  const address = cheater.address.toLowerCase();
  const notice = await cheater.waitFor((m) => m.type === "error" && m.code === "quarantined");
  expect(notice.type === "error" && notice.message).toMatch(reason);
  // The failed check earned nothing.
  // A failed check earned nothing it can ever withdraw: unpaid when judged at once, held when
  // it was paid while its answer was still being learned, refunded to its consumer when it was a
  // real job that a re-run disagreed with.
  const failed = (await checks()).filter((c) => c.node_address === address && c.verdict === "fail");
  expect(failed.length).toBeGreaterThan(0);
  const paidFailures = await t.db.query<{ state: string }>(`SELECT state FROM node_credits WHERE job_id = ANY($1::text[])`, [failed.map((c) => c.job_id)]);
  expect(paidFailures.rows.every((r) => r.state === "held" || r.state === "refunded")).toBe(true);
  // Whatever it earned is held: none of it becomes available.
  const earnings = await t.ledger.nodeEarnings(address);
  expect(earnings.pendingMicroUsd).toBe(0);
  expect(earnings.availableMicroUsd).toBe(0);
  expect(earnings.heldMicroUsd).toBe(earnings.lifetimeMicroUsd);
  expect((await t.ledger.holdOf(address))?.reason).toMatch(/quarantined/);
  // It gets no more jobs, and says why when it asks.
  const jobsBefore = cheater.jobIds.length;
  for (let i = 0; i < 4; i++) await client.completions.create({ model: "v-model", prompt: "More", max_tokens: 16 });
  expect(cheater.jobIds).toHaveLength(jobsBefore);
  cheater.send({ type: "diagnose", requestId: "why" });
  const diagnosis = (await cheater.waitFor((m) => m.type === "diagnosis")) as Extract<CoordinatorMessage, { type: "diagnosis" }>;
  const view: DiagnosisView = diagnosis.view;
  expect(view.seenSharing).toBe(false);
  expect(view.quarantine?.reason).toMatch(reason);
  expect(Date.parse(view.quarantine?.since ?? "")).toBeGreaterThan(0);
  // The honest nodes are in good standing.
  for (const h of honest) expect(h.messages("error").filter((e) => e.code === "quarantined")).toEqual([]);
}

describe("known-answer probes", () => {
  const probing: VerificationOptions = { probeRate: 0, newcomerProbeRate: 1, maxJobsBetweenProbes: 1_000, rerunRate: 0 };

  it("catch a node answering with plausible but wrong text within three rounds", async () => {
    const { honest, cheater, client } = await setup(probing, { tokens: WRONG });
    const rounds = await serveUntilCaught(client, cheater, 3, 3);
    expect(cheater.jobIds.length).toBeLessThanOrEqual(2 * rounds);
    await expectCaughtAndHeld(cheater, honest, client, /text other than the known answer/);
    // Probes look like jobs: same message, same id form, and are paid like jobs when passed.
    const probes = (await checks()).filter((c) => c.kind === "probe");
    for (const p of probes) expect(p.job_id).toMatch(/^job_[A-Za-z0-9_-]{16}$/);
    const passed = probes.filter((p) => p.verdict === "pass").map((p) => p.job_id);
    expect(passed.length).toBeGreaterThan(0);
    const credited = honest.flatMap((h) => h.messages("credit").map((c) => c.jobId));
    for (const id of passed) expect(credited).toContain(id);
  });

  it("catch a node that inflates its token counts within three rounds", async () => {
    const { honest, cheater, client } = await setup(probing, { inflateCount: 2 });
    await serveUntilCaught(client, cheater, 3, 3);
    await expectCaughtAndHeld(cheater, honest, client, /claimed 10 tokens for a known answer of 5 tokens/);
  });
});

describe("re-runs", () => {
  it("catch a wrong node by re-running temperature-0 jobs on others, a third node deciding", async () => {
    const { honest, cheater, client } = await setup({ probeRate: 0, newcomerProbeRate: 0, maxJobsBetweenProbes: 1_000, rerunRate: 1 }, { tokens: WRONG });
    for (let round = 1; round <= 4 && !(await quarantined(cheater)); round++) {
      await client.completions.create({ model: "v-model", prompt: `Round ${round}`, max_tokens: 16, temperature: 0 });
      await waitUntil(async () => (await checks()).length >= round, 5_000, "the re-run");
      await new Promise((r) => setTimeout(r, 100));
    }
    await expectCaughtAndHeld(cheater, honest, client, /other than the answer two other nodes gave/);
    expect((await checks()).every((c) => c.kind === "rerun")).toBe(true);
  });
});
