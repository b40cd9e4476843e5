/**
 * What the node does with each message from the coordinator: a job is run, or refused with a
 * failure code and marked retryable, so the coordinator gives it to another node instead of
 * failing the consumer; a cancel stops its job; welcome and credit carry the node's totals; a
 * diagnosis, or an error naming a request, settles that pending question.
 */
import type { SharingDecision } from "../../shared/sharing-types";
import type { Logger } from "../../shared/logger";
import type { JobFailureCode } from "../../shared/protocol";
import type { InboundMessage } from "./coordinator-client";
import type { DiagnosisRequests } from "./coordinator-diagnosis";
import type { EarningsControls } from "./earnings-controls";
import type { EngineInfo, InferenceEngine } from "./inference";
import type { JobMessage, JobRunner } from "./job-runner";
import type { StandingControls } from "./standing-controls";

/** What taking a job depends on, read when the job arrives. */
export interface ServingFacts {
  /** The Share switch is on, the agent is not stopping, and the worker may run (sandbox rule). */
  readonly ownerSharing: boolean;
  readonly decision: SharingDecision;
  readonly engine: InferenceEngine | null;
  readonly info: EngineInfo | null;
  /** Jobs running now. */
  readonly running: number;
}

/** A job's admission: the engine to run it on, or why not (every refusal may be retried elsewhere). */
export type Admission =
  | { readonly ok: true; readonly engine: InferenceEngine }
  | { readonly ok: false; readonly code: JobFailureCode; readonly message: string };

/** Decides whether a job for `job.model` can run here now. */
export function admitJob(job: Pick<JobMessage, "model">, facts: ServingFacts): Admission {
  const { info, engine } = facts;
  if (!facts.ownerSharing) return { ok: false, code: "node_yield", message: "the owner is not sharing this machine now" };
  if (!facts.decision.share) return { ok: false, code: "node_yield", message: facts.decision.reason };
  if (!info || !engine || info.model.id !== job.model) return { ok: false, code: "model_not_loaded", message: `model ${job.model} is not loaded here` };
  if (facts.running >= (info.capacity ?? 1)) return { ok: false, code: "busy", message: "the node is serving other jobs" };
  return { ok: true, engine };
}

export interface CoordinatorInboxOptions {
  readonly jobs: Pick<JobRunner, "run" | "refuse" | "cancel" | "size">;
  readonly earnings: Pick<EarningsControls, "welcomed" | "credited">;
  readonly diagnoses: Pick<DiagnosisRequests, "answer" | "refuse">;
  readonly logger: Logger;
  readonly serving: () => Omit<ServingFacts, "running">;
  /** The node's standing: told of a login and of the coordinator's notices about quarantine and appeals. */
  readonly standing?: Pick<StandingControls, "welcomed" | "notice">;
}

/** Routes the coordinator's messages to the parts of the agent that act on them. */
export class CoordinatorInbox {
  constructor(private readonly options: CoordinatorInboxOptions) {}

  receive(message: InboundMessage): void {
    const { jobs, earnings, diagnoses, logger } = this.options;
    switch (message.type) {
      case "welcome":
        earnings.welcomed(message);
        this.options.standing?.welcomed();
        return;
      case "job": {
        const admission = admitJob(message, { ...this.options.serving(), running: jobs.size });
        if (admission.ok) jobs.run(message, admission.engine);
        else jobs.refuse(message.jobId, admission.code, admission.message, true);
        return;
      }
      case "cancel":
        jobs.cancel(message.jobId);
        return;
      case "credit":
        earnings.credited(message);
        return;
      case "error":
        if (message.ref) diagnoses.refuse(message.ref);
        this.options.standing?.notice(message.code, message.message);
        logger.warn("the coordinator reported an error", { code: message.code, message: message.message });
        return;
      case "diagnosis":
        diagnoses.answer(message.requestId, message.view);
        return;
    }
  }
}
