/**
 * The node's totals as its state shows them (balance not yet withdrawn, earned today), read
 * from the coordinator's signed earnings report. The coordinator pushes them with every credit;
 * a withdrawal moves the balance without a credit, so the agent reads them after one.
 */
import type { NodeState } from "../../shared/control-api";
import type { EarningsClient } from "./coordinator-earnings";

/** The balance (available + pending + held, as a credit reports it) and today's earnings. */
export async function readNodeTotals(client: Pick<EarningsClient, "page">): Promise<Pick<NodeState["earnings"], "balanceMicroUsd" | "todayMicroUsd">> {
  const { balances } = await client.page({ limit: 1 });
  return {
    balanceMicroUsd: balances.availableMicroUsd + balances.pendingMicroUsd + balances.heldMicroUsd,
    todayMicroUsd: balances.todayMicroUsd,
  };
}
