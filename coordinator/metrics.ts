/**
 * Prometheus metrics of one coordinator (its own registry, so several can share a process):
 * nodes by state, jobs by outcome, tokens, latencies, errors, failovers, verification checks,
 * queue depth, ledger writes, plus the process's own figures. Labels are low-cardinality words, never a model
 * id, an address or anything a consumer sent.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { NodeHub } from "./node-hub";
import type { CapacityQueue } from "./capacity-queue";
import type { DispatchEvents } from "./job-dispatcher";
import type { JobOutcome } from "./job-outcomes";
import { nodeState } from "./admin-api";
import type { Ledger } from "./ledger";

const NODE_STATES = ["idle", "serving", "busy", "not sharing", "quarantined"] as const;

/** The coordinator's metrics and the hooks that feed them. */
export class CoordinatorMetrics {
  readonly registry = new Registry();
  private readonly jobs: Counter<"kind" | "outcome">;
  private readonly tokens: Counter<"type">;
  private readonly errors: Counter<"code">;
  private readonly duration: Histogram<"kind">;
  private readonly firstToken: Histogram<"kind">;
  private readonly attempts: Counter<"end">;
  private readonly failovers: Counter;
  private readonly checks: Counter<"kind" | "verdict">;

  constructor(sources: { hub: Pick<NodeHub, "candidates">; queue: Pick<CapacityQueue, "totalLength">; ledger?: Pick<Ledger, "writeStats"> }) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: "offpeak_" });
    new Gauge({
      name: "offpeak_nodes",
      help: "Logged-in nodes by state (idle, serving, busy, not sharing, quarantined).",
      labelNames: ["state"],
      registers,
      collect() {
        const counts = new Map<string, number>(NODE_STATES.map((s) => [s, 0]));
        for (const n of sources.hub.candidates()) counts.set(nodeState(n).state, (counts.get(nodeState(n).state) ?? 0) + 1);
        for (const [state, n] of counts) this.set({ state }, n);
      },
    });
    new Gauge({
      name: "offpeak_queue_depth",
      help: "Requests waiting for a free node slot.",
      registers,
      collect() {
        this.set(sources.queue.totalLength());
      },
    });
    // Jobs opened and settled at the same moment share one ledger write (group-commit.ts): items
    // per write is how much the batching saves.
    const { ledger } = sources;
    if (ledger) {
      const seen = { reserve: { batches: 0, items: 0 }, settle: { batches: 0, items: 0 } };
      const follow = (field: "batches" | "items") =>
        function collect(this: Counter<"op">) {
          const now = ledger.writeStats();
          for (const op of ["reserve", "settle"] as const) {
            this.inc({ op }, now[op][field] - seen[op][field]);
            seen[op][field] = now[op][field];
          }
        };
      new Counter({ name: "offpeak_ledger_writes_total", help: "Ledger writes (one statement or transaction each) by operation.", labelNames: ["op"], registers, collect: follow("batches") });
      new Counter({ name: "offpeak_ledger_write_jobs_total", help: "Jobs those ledger writes carried, by operation.", labelNames: ["op"], registers, collect: follow("items") });
    }
    this.jobs = new Counter({ name: "offpeak_jobs_total", help: "Consumer jobs by kind and outcome.", labelNames: ["kind", "outcome"], registers });
    this.tokens = new Counter({ name: "offpeak_tokens_total", help: "Tokens of answered jobs, prompt and completion.", labelNames: ["type"], registers });
    this.errors = new Counter({ name: "offpeak_job_errors_total", help: "Jobs that ended with an error, by error code.", labelNames: ["code"], registers });
    this.duration = new Histogram({
      name: "offpeak_job_duration_seconds",
      help: "Time from a request's acceptance to the end of its answer.",
      labelNames: ["kind"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    });
    this.firstToken = new Histogram({
      name: "offpeak_time_to_first_token_seconds",
      help: "Time from a request's acceptance to its first token.",
      labelNames: ["kind"],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.attempts = new Counter({ name: "offpeak_node_attempts_total", help: "Job attempts on nodes by how they ended.", labelNames: ["end"], registers });
    this.failovers = new Counter({ name: "offpeak_failovers_total", help: "Answers continued on another node after their node broke off.", registers });
    this.checks = new Counter({ name: "offpeak_verification_checks_total", help: "Verification checks by kind and verdict.", labelNames: ["kind", "verdict"], registers });
  }

  /** Dispatch events feeding the metrics. */
  readonly events: DispatchEvents = {
    onAttemptEnd: (_address, end) => this.attempts.inc({ end }),
    onFailover: () => this.failovers.inc(),
  };

  /** A consumer job ended: `seconds` after acceptance, its first token after `firstTokenSeconds`. */
  observeJob(kind: "completion" | "chat", outcome: JobOutcome, seconds: number, firstTokenSeconds: number | null): void {
    this.duration.observe({ kind }, seconds);
    if (firstTokenSeconds !== null) this.firstToken.observe({ kind }, firstTokenSeconds);
    if (outcome.ok) {
      this.jobs.inc({ kind, outcome: outcome.finishReason === "cancelled" ? "cancelled" : "answered" });
      this.tokens.inc({ type: "prompt" }, outcome.promptTokens);
      this.tokens.inc({ type: "completion" }, outcome.completionTokens);
      return;
    }
    this.jobs.inc({ kind, outcome: outcome.status === 499 ? "cancelled" : "error" });
    if (outcome.status !== 499) this.errors.inc({ code: outcome.error.error.code ?? String(outcome.status) });
  }

  /** A verification check reached a verdict. */
  observeCheck(kind: "probe" | "rerun", verdict: string): void {
    this.checks.inc({ kind, verdict });
  }

  /** The exposition text and its content type. */
  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
