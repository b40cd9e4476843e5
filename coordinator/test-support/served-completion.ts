/**
 * Test support: one completion asked through the official `openai` client and served by a
 * simulated node, checked as the consumer sees it and followed to the node's credit.
 */
import type OpenAI from "openai";
import { expect } from "vitest";
import { jobCostMicroUsd } from "../../shared/money";
import type { SimNode } from "./sim-node";
import { TEST_PRICE, waitUntil } from "./harness";

/**
 * Asks `client` for a completion of "sim-model" that `node` serves with `tokens` (counting
 * `promptTokens` for the prompt), checks the text and usage the consumer got, and waits until the
 * node is sent the job's credit; the job's id and its cost at {@link TEST_PRICE}.
 */
export async function completionServedBy(
  client: OpenAI,
  node: SimNode,
  answer: { readonly tokens: readonly string[]; readonly promptTokens: number },
): Promise<{ jobId: string; cost: number }> {
  const jobsBefore = node.jobIds.length;
  const res = await client.completions.create({ model: "sim-model", prompt: "Tell me a story", max_tokens: 16 });
  expect(res.choices[0]?.text).toBe(answer.tokens.join(""));
  expect(res.usage).toEqual({ prompt_tokens: answer.promptTokens, completion_tokens: answer.tokens.length, total_tokens: answer.promptTokens + answer.tokens.length });
  // The credit follows the settlement, which may come after the answer reached the consumer.
  await waitUntil(() => node.messages("credit").length > jobsBefore, 5_000, "credit message");
  return { jobId: node.jobIds[jobsBefore] ?? "", cost: jobCostMicroUsd(TEST_PRICE, answer.promptTokens, answer.tokens.length) };
}
