/**
 * Test support for verification: a coordinator that checks its nodes with seeded random choices,
 * two honest simulated nodes and one that cheats, all connected to it.
 */
import type { CoordinatorOptions } from "../coordinator";
import type { VerificationOptions } from "../verification";
import { SimNode, type SimNodeOptions } from "./sim-node";
import { startTestCoordinator, type TestCoordinator } from "./harness";

/** What the honest nodes answer (the known answer of the probes for "v-model"). */
export const HONEST_TOKENS = ["Once", " upon", " a", " time", "."];
/** A plausible but wrong answer: one word differs. */
export const WRONG_TOKENS = ["Once", " upon", " a", " rhyme", "."];

/** A seeded generator (mulberry32), so the checks' random choices repeat run to run. */
export function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** A checking coordinator with two honest nodes and a cheater serving "v-model". */
export interface CheckedPool {
  readonly t: TestCoordinator;
  readonly honest: SimNode[];
  readonly cheater: SimNode;
  /** Closes the nodes, then the coordinator. */
  close(): Promise<void>;
}

/**
 * Starts a coordinator with `verification` (its random choices seeded) and the other `options`,
 * on `database` when given, and connects two honest nodes and a cheater set up by `cheat`.
 */
export async function startCheckedPool(
  verification: VerificationOptions,
  cheat: Omit<SimNodeOptions, "wsUrl">,
  options: Partial<CoordinatorOptions> = {},
  database?: string,
): Promise<CheckedPool> {
  const t = await startTestCoordinator({ verification: { random: seeded(7), ...verification }, ...options }, database);
  const nodes: SimNode[] = [];
  const close = async () => {
    await Promise.all(nodes.map((n) => n.close()));
    await t.close();
  };
  const connect = async (opts: Omit<SimNodeOptions, "wsUrl">) => {
    const n = await SimNode.connect({ wsUrl: t.coordinator.wsUrl, models: ["v-model"], tokens: HONEST_TOKENS, promptTokens: 3, ...opts });
    nodes.push(n);
    return n;
  };
  try {
    const honest = [await connect({}), await connect({})];
    const cheater = await connect(cheat);
    return { t, honest, cheater, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** True once the coordinator has quarantined `node`. */
export async function isQuarantined(t: TestCoordinator, node: SimNode): Promise<boolean> {
  const { rows } = await t.db.query(`SELECT 1 FROM node_reputation WHERE address = $1 AND quarantined_at IS NOT NULL`, [node.address.toLowerCase()]);
  return rows.length > 0;
}
