/**
 * The live earning rate while the node works: the running job's tokens per second so far, times
 * the output price, less the platform fee, per hour. An estimate for the owner's eye; what is
 * paid is what the receipts settle. It reads only the pushed snapshot: the agent counts the
 * tokens and measures the time they took, so the rate needs no clock in the UI.
 */
import type { NodeState } from "../shared/control-api";

/** The rate of the running job, or null when no job runs or it has not produced a token yet. */
export function liveRate(
  job: NodeState["currentJob"],
  terms: { readonly outputMicroUsdPerMTok: number; readonly feeBps: number },
): { readonly tokensPerSecond: number; readonly microUsdPerHour: number } | null {
  if (job === null || job.completionTokens <= 0) return null;
  const seconds = job.elapsedMs / 1000;
  if (!(seconds > 0)) return null;
  const tokensPerSecond = job.completionTokens / seconds;
  const nodeShare = (10_000 - terms.feeBps) / 10_000;
  const microUsdPerHour = Math.round(((tokensPerSecond * 3_600 * terms.outputMicroUsdPerMTok) / 1_000_000) * nodeShare);
  return { tokensPerSecond, microUsdPerHour };
}
