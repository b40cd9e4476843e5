/**
 * Verification across a cluster of coordinator instances.
 * - Probes: only the instance that leads (cluster-leader.ts) runs known-answer probes, to every
 *   node of the cluster (through the relay for another instance's node). The others count the
 *   jobs they serve per node and model and, once per beat, send the counts to every instance on
 *   one channel; the leader takes them as if it had served the jobs, so a node's chance of a
 *   probe follows all its jobs, wherever they came from. Counts sent while no instance leads are
 *   dropped (a probe decision is a sample: a few jobs more or less do not matter).
 * - Re-runs stay with the instance that served the job: only it has the answer.
 * - Quarantines: reputation lives in `node_reputation`; the instance that quarantines or releases
 *   a node tells the others, which re-read the node and stop (or start) routing to it; in case
 *   that news is lost, each instance re-reads its own nodes and the ones it knows as quarantined
 *   on every beat.
 */
import { z } from "zod";
import type { Logger } from "../shared/logger";
import type { ClusterMember } from "./cluster";
import { parsePayload, PROBE_JOBS_CHANNEL, REPUTATION_CHANNEL } from "./cluster-wire";
import type { NodeHub } from "./node-hub";
import type { Reputation } from "./reputation";
import type { Verifier } from "./verification";

/** A probe-jobs payload stays under NOTIFY's inline limit: a broadcast cannot go through a table row (its first reader deletes it). */
const MAX_REPORT_BYTES = 6_000;

const address = z.string().regex(/^0x[0-9a-f]{40}$/);
/** Jobs served per node and model: `[address, model, jobs]` triples. */
const probeJobsSchema = z.object({
  jobs: z.array(z.tuple([address, z.string().min(1).max(300), z.number().int().positive().max(1_000_000)])).max(1_000),
});

/** What sharing verification takes. */
export interface SharedVerificationDeps {
  readonly member: ClusterMember;
  readonly reputation: Reputation;
  /** Null when this instance's verification is off (quarantines are still shared). */
  readonly verifier: Verifier | null;
  /** This instance's own nodes. */
  readonly localHub: Pick<NodeHub, "candidates">;
  readonly logger: Logger;
  /** A node's quarantine changed here: routing should look again. */
  onRoutingChange(): void;
}

/** Wires verification and reputation into the cluster. */
export function shareVerification(deps: SharedVerificationDeps): void {
  const { member, reputation, verifier, logger } = deps;
  const counts = new Map<string, { address: string; model: string; jobs: number }>();
  /** A new leader judges nothing before it read the answers its predecessor learned. */
  let reloading: Promise<void> = Promise.resolve();

  verifier?.reportJobsTo((addr, model) => {
    const key = `${addr.toLowerCase()}\u0000${model}`;
    const entry = counts.get(key) ?? { address: addr.toLowerCase(), model, jobs: 0 };
    entry.jobs += 1;
    counts.set(key, entry);
  });

  const flush = async (): Promise<void> => {
    if (!verifier || counts.size === 0) return;
    const entries = [...counts.values()];
    counts.clear();
    if (member.leading) {
      await reloading;
      for (const e of entries) verifier.noteJobs(e.address, e.model, e.jobs);
      return;
    }
    for (const payload of chunk(entries)) {
      await member.broadcast(PROBE_JOBS_CHANNEL, payload).catch((err: unknown) => logger.warn("could not report served jobs to the probe leader", { error: String(err) }));
    }
  };

  const changed = (addresses: string[]) => {
    if (addresses.length === 0) return;
    logger.info("quarantine changed on another instance", { addresses: addresses.length });
    deps.onRoutingChange();
  };

  reputation.onQuarantineChange = (addr) => {
    member.broadcast(REPUTATION_CHANNEL, addr).catch((err: unknown) => logger.warn("could not tell the other instances of a quarantine", { address: addr, error: String(err) }));
  };

  member.attach({
    onLeadership(leading) {
      // The previous leader learned answers meanwhile: start from what it recorded.
      if (leading && verifier) reloading = verifier.reloadAnswers().catch((err: unknown) => logger.error("could not reload the known answers", { error: String(err) }));
    },
    async onBroadcast(channel, payload) {
      if (channel === REPUTATION_CHANNEL) {
        if (!address.safeParse(payload).success) return logger.warn("ignored a malformed quarantine notice", { bytes: payload.length });
        changed(await reputation.refreshMany([payload]));
        return;
      }
      if (!member.leading || !verifier) return;
      const report = parsePayload(probeJobsSchema, payload);
      if (!report) return logger.warn("ignored a malformed report of served jobs", { bytes: payload.length });
      await reloading;
      for (const [addr, model, jobs] of report.jobs) verifier.noteJobs(addr, model, jobs);
    },
    async onBeat() {
      await flush();
      // A lost notice must not keep a quarantined node routable (or a released one idle) for long.
      const watched = [...deps.localHub.candidates().map((n) => n.address), ...reputation.quarantinedAddresses()];
      changed(await reputation.refreshMany(watched));
    },
  });
}

/** Splits the counts into payloads that each fit a notification. */
function chunk(entries: readonly { address: string; model: string; jobs: number }[]): string[] {
  const out: string[] = [];
  let batch: [string, string, number][] = [];
  let bytes = 0;
  for (const e of entries) {
    const item: [string, string, number] = [e.address, e.model, Math.min(e.jobs, 1_000_000)];
    const size = Buffer.byteLength(JSON.stringify(item), "utf8") + 1;
    if (batch.length > 0 && (bytes + size > MAX_REPORT_BYTES || batch.length >= 1_000)) {
      out.push(JSON.stringify({ jobs: batch }));
      batch = [];
      bytes = 0;
    }
    batch.push(item);
    bytes += size;
  }
  if (batch.length > 0) out.push(JSON.stringify({ jobs: batch }));
  return out;
}
