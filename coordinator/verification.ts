/**
 * Verification: the coordinator spot-checks nodes with jobs they cannot tell from real ones.
 * - Known-answer probes, sent at random after a node's jobs (more often to a newcomer, and at
 *   least every `maxJobsBetweenProbes` jobs): a greedy prompt whose answer the network learned
 *   (answer-book.ts); a different text or token count fails the check.
 * - Re-runs: a sample of real temperature-0 jobs runs again on a second node of the same backend
 *   class; when the two disagree a third decides, and the odd one out fails.
 * Results feed reputation (which quarantines a node below the bar); checks are paid by the
 * platform like real jobs, except those the node failed. A real job whose re-run disagreed is
 * refunded to its consumer (job-refunds.ts).
 */
import type { Logger } from "../shared/logger";
import { jobCostMicroUsd, type ModelPrice } from "../shared/money";
import type { Database } from "./db";
import type { Ledger } from "./ledger";
import type { HubNode, NodeHub } from "./node-hub";
import type { Reputation } from "./reputation";
import type { DispatchEvents } from "./job-dispatcher";
import type { FinishedPart } from "./job-settlement";
import { askingPrice } from "./node-scorer";
import { AnswerBook, judge, slotOf, type Answer, type Judgement } from "./answer-book";
import { probeFromKey, randomProbe, type ProbeSpec } from "./probe-prompts";
import { runCheckJob, type CheckRun } from "./check-runner";
import { creditCheckJob } from "./check-ledger";

/** How often and how nodes are checked. */
export interface VerificationOptions {
  /** Chance of a probe after each job a node serves (default 0.05). */
  readonly probeRate?: number;
  /** The same for a node with fewer than 3 passed checks (default 0.5). */
  readonly newcomerProbeRate?: number;
  /** A node is probed after at most this many jobs without one (default 25). */
  readonly maxJobsBetweenProbes?: number;
  /** Share of temperature-0 jobs re-run on a second node (default 0.02). */
  readonly rerunRate?: number;
  /** Distinct nodes that must agree before an answer is known (default 2). */
  readonly quorum?: number;
  /** Addresses whose answers are known answers on their own (the operator's own nodes). */
  readonly trustedNodes?: readonly string[];
  /** Longest a check job may take (default 120 s). */
  readonly checkTimeoutMs?: number;
  /** Source of randomness (tests pass a seeded one). */
  readonly random?: () => number;
}

/** What verification works with. */
export interface VerifierDeps {
  readonly db: Database;
  readonly hub: Pick<NodeHub, "candidates" | "assign" | "release" | "send">;
  readonly ledger: Pick<Ledger, "verificationWindowMs" | "refundJob">;
  readonly reputation: Pick<Reputation, "recordCheck" | "counters">;
  listPrice(model: string): ModelPrice;
  readonly logger: Logger;
  readonly clock: () => Date;
  /** A check reached a verdict (for metrics). */
  onVerdict?(kind: "probe" | "rerun", verdict: Judgement["verdict"]): void;
}

/** Learning answers for this many prompts at a time per model and backend. */
const MAX_LEARNING = 3;
/** Learned answers kept after a restart: those recorded in the last this many days. */
const RESTORE_DAYS = 30;

/** Spot-checks nodes; hook {@link events} into dispatch. */
export class Verifier {
  private book: AnswerBook;
  private readonly trusted: ReadonlySet<string>;
  /** In a cluster: jobs served here are reported to the instance that leads the probes. */
  private report: ((address: string, model: string) => void) | null = null;
  private readonly sinceProbe = new Map<string, number>();
  private readonly running = new Set<Promise<unknown>>();
  private readonly o: Required<Omit<VerificationOptions, "trustedNodes">>;
  private closed = false;

  private constructor(
    private readonly deps: VerifierDeps,
    options: VerificationOptions,
  ) {
    this.o = {
      probeRate: options.probeRate ?? 0.05,
      newcomerProbeRate: options.newcomerProbeRate ?? 0.5,
      maxJobsBetweenProbes: options.maxJobsBetweenProbes ?? 25,
      rerunRate: options.rerunRate ?? 0.02,
      quorum: options.quorum ?? 2,
      checkTimeoutMs: options.checkTimeoutMs ?? 120_000,
      random: options.random ?? Math.random,
    };
    this.trusted = new Set((options.trustedNodes ?? []).map((a) => a.toLowerCase()));
    this.book = new AnswerBook(this.o.quorum, this.trusted);
  }

  /** Starts verification, restoring the answers recorded recently. */
  static async start(deps: VerifierDeps, options: VerificationOptions = {}): Promise<Verifier> {
    const v = new Verifier(deps, options);
    await v.reloadAnswers();
    return v;
  }

  /**
   * Reads the answers recorded recently into a fresh answer book (at the start, and when this
   * instance takes over a cluster's probes: the previous leader learned answers meanwhile).
   */
  async reloadAnswers(): Promise<void> {
    const { deps } = this;
    const book = new AnswerBook(this.o.quorum, this.trusted);
    const since = new Date(deps.clock().getTime() - RESTORE_DAYS * 86_400_000).toISOString();
    const { rows } = await deps.db.query<{ model: string; backend: string; prompt_key: string; node_address: string; output_hash: string; completion_tokens: unknown }>(
      `SELECT model, backend, prompt_key, node_address, output_hash, completion_tokens FROM verification_checks
       WHERE kind = 'probe' AND output_hash IS NOT NULL AND created_at >= $1 ORDER BY id`,
      [since],
    );
    for (const r of rows) book.restore(slotOf(r.model, r.backend, r.prompt_key), r.node_address, { hash: r.output_hash, tokens: Number(r.completion_tokens) });
    this.book = book;
  }

  /**
   * In a cluster, one instance runs the probes: the jobs served here go to `report` (which takes
   * them to that instance's {@link noteJobs}) instead of deciding a probe here. Re-runs stay
   * here: only the instance that served a job has its answer.
   */
  reportJobsTo(report: ((address: string, model: string) => void) | null): void {
    this.report = report;
  }

  /**
   * The node at `address` served `jobs` more jobs of `model`: probes it when it is due (after
   * `maxJobsBetweenProbes`) or by chance, each job having its own chance.
   */
  noteJobs(address: string, model: string, jobs: number): void {
    if (this.closed || !(jobs > 0)) return;
    const n = (this.sinceProbe.get(address) ?? 0) + jobs;
    this.sinceProbe.set(address, n);
    const rate = this.deps.reputation.counters(address).passed < 3 ? this.o.newcomerProbeRate : this.o.probeRate;
    const chance = jobs === 1 ? rate : 1 - (1 - rate) ** jobs;
    if (n >= this.o.maxJobsBetweenProbes || this.o.random() < chance) this.track(this.probe(address, model));
  }

  /** The dispatch events that trigger checks. */
  readonly events: DispatchEvents = {
    onAnswered: ({ spec, parts, billedParts }) => {
      for (const { part } of parts) this.afterJob(part.address, spec.model);
      // Only a whole answer from one node, with an accepted receipt, can be compared.
      const only = parts.length === 1 && billedParts === 1 ? parts[0] : undefined;
      if (only?.receipt && spec.sampling.temperature === 0 && only.finishReason !== "cancelled" && this.o.random() < this.o.rerunRate) {
        this.track(this.rerun(spec.model, only));
      }
    },
  };

  /** Resolves when every check started so far has ended (tests and shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /** Stops starting checks. */
  close(): void {
    this.closed = true;
  }

  /** Probes the node now (when it has a free slot); resolves with the verdict, if one was reached. */
  async probe(address: string, model: string): Promise<Judgement | null> {
    const node = this.freeNode((n) => n.address === address.toLowerCase(), model);
    if (!node) return null;
    this.sinceProbe.set(node.address, 0);
    const spec = this.chooseProbe(model, node);
    const slot = slotOf(model, node.backend, spec.key);
    // An answer can only be learned from `quorum` nodes of the same backend class (or a trusted
    // one): with fewer, a probe could never be judged and would only cost a job.
    if (!this.book.expected(slot) && !this.book.trusts(node.address) && this.peers(model, node.backend) < this.o.quorum) return null;
    const run = await this.run(node, model, spec);
    if (!run) return null;
    if (!run.ok) return this.conclude("probe", node, model, spec.key, run, null, { verdict: "fail", reason: `receipt refused: ${run.refused}` });
    const { judgement, settled } = this.book.observe(slot, node.address, { hash: run.hash, tokens: run.tokens });
    for (const s of settled) await this.settleEarlier(model, node.backend, spec.key, s.address, s.judgement);
    return this.conclude("probe", node, model, spec.key, run, { hash: run.hash, tokens: run.tokens }, judgement);
  }

  private afterJob(address: string, model: string): void {
    if (this.closed) return;
    if (this.report) this.report(address, model);
    else this.noteJobs(address, model, 1);
  }

  private track(task: Promise<unknown>): void {
    const p = task.catch((err: unknown) => this.deps.logger.error("verification check failed to run", { error: String(err) })).finally(() => this.running.delete(p));
    this.running.add(p);
  }

  /** Connected nodes, quarantined or not, that serve `model` on `backend`. */
  private peers(model: string, backend: string): number {
    return this.deps.hub.candidates().filter((n) => n.backend === backend && n.models.some((m) => m.id === model)).length;
  }

  /** A logged-in node serving `model` with a free slot, not quarantined, matching `where`. */
  private freeNode(where: (n: HubNode) => boolean, model: string): HubNode | undefined {
    if (this.closed) return undefined;
    const fit = this.deps.hub.candidates().filter((n) => where(n) && n.sharing && !n.quarantined && n.inFlight < n.capacity && n.models.some((m) => m.id === model));
    return fit[Math.floor(this.o.random() * fit.length)];
  }

  /**
   * An established prompt this node has not answered (at random); else the oldest one still being
   * learned (so nodes converge on it and it is learned soon); else a new one.
   */
  private chooseProbe(model: string, node: HubNode): ProbeSpec {
    const keys = this.book.keys(model, node.backend);
    const fresh = (list: string[]) => list.filter((k) => !this.book.answered(slotOf(model, node.backend, k), node.address));
    const pick = (list: string[]) => probeFromKey(list[Math.floor(this.o.random() * list.length)] as string);
    const established = fresh(keys.established);
    if (established.length > 0) return pick(established) as ProbeSpec;
    const learning = fresh(keys.learning);
    if (learning.length > 0) return probeFromKey(learning[0] as string) as ProbeSpec;
    for (let i = 0; i < 20; i++) {
      const spec = randomProbe(this.o.random);
      if (keys.learning.length >= MAX_LEARNING && !keys.established.includes(spec.key)) continue;
      if (!this.book.answered(slotOf(model, node.backend, spec.key), node.address)) return spec;
    }
    return randomProbe(this.o.random);
  }

  private async run(node: HubNode, model: string, job: { input: ProbeSpec["input"]; sampling: ProbeSpec["sampling"] }): Promise<CheckRun | null> {
    const run = await runCheckJob({ hub: this.deps.hub, logger: this.deps.logger, timeoutMs: this.o.checkTimeoutMs }, node, { model, ...job });
    if (!run.ok && run.refused === undefined) {
      this.deps.logger.info("verification job not answered", { address: node.address, reason: run.why });
      return null;
    }
    return run;
  }

  /** Records a verdict for the node that just answered, pays the check unless it failed. */
  private async conclude(kind: "probe" | "rerun", node: HubNode, model: string, key: string, run: CheckRun, answer: Answer | null, judgement: Judgement): Promise<Judgement> {
    await this.deps.db.query(
      `INSERT INTO verification_checks (kind, job_id, node_address, model, backend, prompt_key, output_hash, completion_tokens, verdict, reason, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [kind, run.jobId, node.address, model, node.backend, key, answer?.hash ?? null, answer?.tokens ?? null, judgement.verdict, judgement.verdict === "fail" ? judgement.reason : null, this.deps.clock().toISOString()],
    );
    this.deps.logger.info("verification check", { kind, address: node.address, model, verdict: judgement.verdict });
    this.deps.onVerdict?.(kind, judgement.verdict);
    if (run.ok && judgement.verdict !== "fail") await this.pay(node, model, run);
    if (judgement.verdict !== "pending") await this.deps.reputation.recordCheck(node.address, judgement.verdict === "pass", judgement.verdict === "fail" ? judgement.reason : "");
    return judgement;
  }

  private async settleEarlier(model: string, backend: string, key: string, address: string, judgement: Judgement): Promise<void> {
    await this.deps.db.query(
      `UPDATE verification_checks SET verdict = $5, reason = $6 WHERE kind = 'probe' AND model = $1 AND backend = $2 AND prompt_key = $3 AND node_address = $4 AND verdict = 'pending'`,
      [model, backend, key, address, judgement.verdict, judgement.verdict === "fail" ? judgement.reason : null],
    );
    this.deps.onVerdict?.("probe", judgement.verdict);
    if (judgement.verdict !== "pending") await this.deps.reputation.recordCheck(address, judgement.verdict === "pass", judgement.verdict === "fail" ? judgement.reason : "");
  }

  private async pay(node: HubNode, model: string, run: Extract<CheckRun, { ok: true }>): Promise<void> {
    const cost = jobCostMicroUsd(askingPrice(node, model, this.deps.listPrice(model)), run.receipt.promptTokens, run.receipt.completionTokens);
    const credit = await creditCheckJob(this.deps.db, {
      jobId: run.jobId,
      address: node.address,
      model,
      receipt: run.receipt,
      finishReason: run.finishReason,
      costMicroUsd: cost,
      at: this.deps.clock(),
      verificationWindowMs: this.deps.ledger.verificationWindowMs,
    });
    this.deps.hub.send(node.id, { type: "credit", jobId: run.jobId, amountMicroUsd: credit.amountMicroUsd, balanceMicroUsd: credit.balanceMicroUsd, todayMicroUsd: credit.todayMicroUsd });
  }

  /** Re-runs a real job on a second node of the same backend class (a third when they disagree). */
  private async rerun(model: string, original: FinishedPart): Promise<void> {
    const first = this.deps.hub.candidates().find((n) => n.id === original.part.nodeId);
    const receipt = original.receipt;
    if (!first || !receipt) return;
    const job = { input: original.part.input, sampling: original.part.sampling };
    const firstAnswer: Answer = { hash: receipt.outputHash.toLowerCase(), tokens: receipt.completionTokens };
    const key = original.part.jobId;
    const others = (exclude: string[]) => (n: HubNode) => n.backend === first.backend && !exclude.includes(n.address);
    const second = this.freeNode(others([first.address]), model);
    if (!second) return;
    const run2 = await this.run(second, model, job);
    if (!run2) return;
    if (!run2.ok) {
      await this.conclude("rerun", second, model, key, run2, null, { verdict: "fail", reason: `receipt refused: ${run2.refused}` });
      return;
    }
    const secondAnswer: Answer = { hash: run2.hash, tokens: run2.tokens };
    if (judge(secondAnswer, firstAnswer).verdict === "pass") {
      await this.conclude("rerun", second, model, key, run2, secondAnswer, { verdict: "pass" });
      await this.judgeOriginal(first, model, key, firstAnswer, { verdict: "pass" });
      return;
    }
    const third = this.freeNode(others([first.address, second.address]), model);
    const run3 = third ? await this.run(third, model, job) : null;
    if (!third || !run3?.ok) {
      this.deps.logger.warn("re-run disagreement left unresolved", { jobId: key, model, first: first.address, second: second.address });
      await this.conclude("rerun", second, model, key, run2, secondAnswer, { verdict: "pending" });
      return;
    }
    const thirdAnswer: Answer = { hash: run3.hash, tokens: run3.tokens };
    const withFirst = judge(thirdAnswer, firstAnswer).verdict === "pass";
    const withSecond = judge(thirdAnswer, secondAnswer).verdict === "pass";
    await this.conclude("rerun", second, model, key, run2, secondAnswer, withSecond ? { verdict: "pass" } : withFirst ? { verdict: "fail", reason: disagreement(secondAnswer, thirdAnswer) } : { verdict: "pending" });
    await this.conclude("rerun", third, model, key, run3, thirdAnswer, withFirst || withSecond ? { verdict: "pass" } : { verdict: "pending" });
    if (withSecond) await this.judgeOriginal(first, model, key, firstAnswer, { verdict: "fail", reason: disagreement(firstAnswer, thirdAnswer) });
    else if (withFirst) await this.judgeOriginal(first, model, key, firstAnswer, { verdict: "pass" });
  }

  /** Records the verdict on the node that served the re-run job in the first place. */
  private async judgeOriginal(node: HubNode, model: string, jobId: string, answer: Answer, judgement: Judgement): Promise<void> {
    await this.deps.db.query(
      `INSERT INTO verification_checks (kind, job_id, node_address, model, backend, prompt_key, output_hash, completion_tokens, verdict, reason, created_at)
       VALUES ('rerun', $1, $2, $3, $4, $1, $5, $6, $7, $8, $9)`,
      [jobId, node.address, model, node.backend, answer.hash, answer.tokens, judgement.verdict, judgement.verdict === "fail" ? judgement.reason : null, this.deps.clock().toISOString()],
    );
    this.deps.onVerdict?.("rerun", judgement.verdict);
    // Two other nodes agreed on another answer: the consumer gets back what it paid for this one
    // (while the node's credit for it is still pending or held), whatever the node's standing.
    if (judgement.verdict === "fail") await this.deps.ledger.refundJob(jobId, node.address, `a re-run on other nodes disagreed with this answer: ${judgement.reason}`);
    if (judgement.verdict !== "pending") await this.deps.reputation.recordCheck(node.address, judgement.verdict === "pass", judgement.verdict === "fail" ? judgement.reason : "");
  }
}

/** Why a node's answer to a re-run job is wrong, given the answer two other nodes agreed on. */
function disagreement(given: Answer, agreed: Answer): string {
  if (given.hash === agreed.hash) return `claimed ${given.tokens} tokens for an answer two other nodes counted as ${agreed.tokens} tokens (re-run of a temperature-0 job)`;
  return "answered a temperature-0 job with text other than the answer two other nodes gave (re-run)";
}
