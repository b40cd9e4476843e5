/**
 * The whole coordinator on a real PostgreSQL server: the official `openai` client asks for a
 * completion, a simulated node serves it, and the books show the consumer charged and the node
 * credited exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import OpenAI from "openai";
import { jobCostMicroUsd, splitCost } from "../shared/money";
import { silentLogger } from "../shared/logger";
import { postgresSkipReason, startThrowawayPostgres, type ThrowawayPostgres } from "../tests/support/postgres";
import { startCoordinator, type RunningCoordinator } from "./coordinator";
import { openDatabase, toSafeInteger, type Database } from "./db";
import { consumerAccountId, Ledger, nodePendingAccountId, PLATFORM_ACCOUNT } from "./ledger";
import { SimNode } from "./test-support/sim-node";
import { TEST_ADMIN_TOKEN, TEST_PRICE, waitUntil } from "./test-support/harness";
import { completionServedBy } from "./test-support/served-completion";

const FEE_BPS = 1000;
const TOKENS = ["Once", " upon", " a", " time"];
const PROMPT_TOKENS = 6;
const CREDIT = 5_000_000;

const skip = postgresSkipReason();

describe.skipIf(skip !== null)(`coordinator on PostgreSQL${skip ? ` (skipped: ${skip})` : ""}`, () => {
  let server: ThrowawayPostgres;
  let db: Database;
  let coordinator: RunningCoordinator;
  let node: SimNode;
  let ledger: Ledger;
  let key: { id: string; key: string };
  let client: OpenAI;

  beforeAll(async () => {
    server = await startThrowawayPostgres();
    db = await openDatabase(server.url);
    coordinator = await startCoordinator({ db, adminToken: TEST_ADMIN_TOKEN, defaultPrice: TEST_PRICE, feeBps: FEE_BPS, logger: silentLogger });
    ledger = new Ledger(db);
    node = await SimNode.connect({ wsUrl: coordinator.wsUrl, models: ["sim-model"], capacity: 2, tokens: TOKENS, promptTokens: PROMPT_TOKENS });
    key = await coordinator.createApiKey(CREDIT, "postgres test");
    client = new OpenAI({ apiKey: key.key, baseURL: `${coordinator.url}/v1`, maxRetries: 0, timeout: 30_000 });
  });

  afterAll(async () => {
    await node?.close();
    await coordinator?.close();
    await db?.close();
    await server?.stop();
  });

  /** Sum and count of every ledger entry of one job, straight from SQL. */
  async function entriesOf(jobId: string): Promise<{ count: number; sum: number; byAccount: Record<string, number> }> {
    const { rows } = await db.query<{ account_id: string; amount: unknown }>(
      `SELECT account_id, amount_micro_usd AS amount FROM ledger_entries WHERE job_id = $1 ORDER BY id`,
      [jobId],
    );
    const byAccount: Record<string, number> = {};
    let sum = 0;
    for (const r of rows) {
      const amount = toSafeInteger(r.amount);
      byAccount[r.account_id] = (byAccount[r.account_id] ?? 0) + amount;
      sum += amount;
    }
    return { count: rows.length, sum, byAccount };
  }

  it("serves a completion and charges the consumer / credits the node exactly once", async () => {
    const { jobId, cost } = await completionServedBy(client, node, { tokens: TOKENS, promptTokens: PROMPT_TOKENS });
    const { nodeMicroUsd, feeMicroUsd } = splitCost(cost, FEE_BPS);
    const credit = node.messages("credit")[0];
    expect(credit?.type === "credit" && credit.amountMicroUsd).toBe(nodeMicroUsd);

    // The node replays its `done`: nothing more may move.
    const done = node.sentDone.get(jobId);
    expect(done).toBeDefined();
    if (done) node.send(done);
    node.sendStatus({ sharing: true }); // a round trip after the duplicate, so it has been handled
    await new Promise((r) => setTimeout(r, 200));
    expect(node.messages("credit")).toHaveLength(1);

    const consumer = consumerAccountId(key.id);
    const entries = await entriesOf(jobId);
    expect(entries).toEqual({
      count: 3,
      sum: 0,
      byAccount: { [consumer]: -cost, [nodePendingAccountId(node.address)]: nodeMicroUsd, [PLATFORM_ACCOUNT]: feeMicroUsd },
    });
    const job = await db.query<{ status: string; cost: unknown }>(`SELECT status, cost_micro_usd AS cost FROM jobs WHERE id = $1`, [jobId]);
    expect(job.rows.map((r) => [r.status, toSafeInteger(r.cost)])).toEqual([["settled", cost]]);
    const receipts = await db.query<{ n: unknown }>(`SELECT COUNT(*) AS n FROM receipts WHERE job_id = $1`, [jobId]);
    expect(toSafeInteger(receipts.rows[0]?.n)).toBe(1);
    expect(await ledger.balance(consumer)).toEqual({ balanceMicroUsd: CREDIT - cost, reservedMicroUsd: 0, availableMicroUsd: CREDIT - cost });
    expect((await ledger.balance(nodePendingAccountId(node.address))).balanceMicroUsd).toBe(nodeMicroUsd);
  });

  it("streams a chat completion and settles it once too", async () => {
    const stream = await client.chat.completions.create({ model: "sim-model", messages: [{ role: "user", content: "Hi" }], stream: true });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
    expect(text).toBe(TOKENS.join(""));
    await waitUntil(() => node.messages("credit").length >= 2, 5_000, "second credit message");
    const jobId = node.jobIds[1] ?? "";
    expect((await entriesOf(jobId)).count).toBe(3);
    expect((await entriesOf(jobId)).sum).toBe(0);
  });

  it("keeps the books balanced: all entries sum to zero and each balance is the sum of its entries", async () => {
    const total = await db.query<{ s: unknown }>(`SELECT COALESCE(SUM(amount_micro_usd), 0) AS s FROM ledger_entries`);
    expect(toSafeInteger(total.rows[0]?.s)).toBe(0);
    const mismatched = await db.query(
      `SELECT b.account_id FROM balances b LEFT JOIN ledger_entries e ON e.account_id = b.account_id
       GROUP BY b.account_id, b.balance_micro_usd HAVING b.balance_micro_usd <> COALESCE(SUM(e.amount_micro_usd), 0)`,
    );
    expect(mismatched.rows).toEqual([]);
    const cost = jobCostMicroUsd(TEST_PRICE, PROMPT_TOKENS, TOKENS.length);
    expect((await ledger.balance(consumerAccountId(key.id))).balanceMicroUsd).toBe(CREDIT - 2 * cost);
  });
});
