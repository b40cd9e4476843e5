/**
 * The node agent: owns the node's one state object, keeps the connection to the coordinator,
 * takes jobs while the owner shares, runs them on the inference engine, streams tokens back and
 * signs a receipt for each. It implements {@link ControlApi} for the UIs.
 */
import type { ControlApi, NodeActivity, NodeState, Result } from "../../shared/control-api";
import type { Logger } from "../../shared/logger";
import type { CoordinatorMessage, JobFailureCode, NodeStatus } from "../../shared/protocol";
import { CoordinatorClient, type InboundMessage, type OutgoingNodeMessage } from "./coordinator-client";
import { InferenceError, type EngineInfo, type InferenceEngine } from "./inference";
import { outputHash, type NodeWallet } from "./wallet";

/** The connection the agent talks through (the real client, or a test double). */
export interface CoordinatorLink {
  readonly connected: boolean;
  start(): void;
  send(message: OutgoingNodeMessage): boolean;
  close(): Promise<void>;
}

export interface NodeAgentOptions {
  readonly coordinatorUrl: string;
  readonly engine: InferenceEngine;
  readonly wallet: NodeWallet;
  readonly logger: Logger;
  readonly agentVersion: string;
  /** Whether the node shares at start (the owner's saved choice). */
  readonly sharing?: boolean;
  readonly now?: () => number;
  /** Builds the coordinator link; defaults to {@link CoordinatorClient}. */
  readonly connect?: (handlers: {
    status: () => NodeStatus;
    onMessage: (message: InboundMessage) => void;
    onConnection: (connected: boolean, reason: string) => void;
  }) => CoordinatorLink;
}

type JobMessage = Extract<CoordinatorMessage, { type: "job" }>;

interface RunningJob {
  readonly jobId: string;
  readonly controller: AbortController;
  /** Why it is being stopped: the consumer's cancel (billable) or the owner's yield (handed back). */
  stopReason: "cancel" | "yield" | null;
}

/** The node agent. Call {@link start}, then drive it through the {@link ControlApi} methods. */
export class NodeAgent implements ControlApi {
  private state: NodeState;
  private readonly listeners = new Set<(state: NodeState) => void>();
  private readonly link: CoordinatorLink;
  private engineInfo: EngineInfo | null = null;
  private running: RunningJob | null = null;
  private runningDone: Promise<void> = Promise.resolve();
  private connectionReason = "Connecting to the coordinator…";
  private engineError: string | null = null;
  private stopping = false;
  private readonly now: () => number;

  constructor(private readonly options: NodeAgentOptions) {
    this.now = options.now ?? Date.now;
    this.state = {
      sharing: options.sharing ?? true,
      activity: "connecting",
      reason: "Starting: loading the model",
      address: options.wallet.address,
      coordinator: { url: options.coordinatorUrl, connected: false },
      model: null,
      hardware: null,
      currentJob: null,
      lastJob: null,
      earnings: { todayMicroUsd: 0, balanceMicroUsd: 0, jobsServed: 0 },
      demoModel: false,
    };
    const handlers = {
      status: () => this.nodeStatus(),
      onMessage: (message: InboundMessage) => this.onMessage(message),
      onConnection: (connected: boolean, reason: string) => this.onConnection(connected, reason),
    };
    this.link =
      options.connect?.(handlers) ??
      new CoordinatorClient({
        url: options.coordinatorUrl,
        wallet: options.wallet,
        agentVersion: options.agentVersion,
        logger: options.logger,
        ...handlers,
      });
  }

  /** The node's wallet address: its identity on the network. */
  get address(): string {
    return this.options.wallet.address;
  }

  /** Loads the model in the worker, then connects to the coordinator. */
  async start(modelPath: string): Promise<EngineInfo> {
    try {
      this.engineInfo = await this.options.engine.start();
    } catch (error) {
      this.engineError = (error as Error).message;
      this.update({});
      throw error;
    }
    const { model, hardware } = this.engineInfo;
    this.update({
      model: { id: model.id, label: model.label, path: modelPath, demo: model.demo, contextSize: model.contextSize },
      hardware: { ...hardware },
      demoModel: model.demo,
    });
    this.link.start();
    return this.engineInfo;
  }

  /** Hands back the running job, closes the connection and stops the worker. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.yieldRunningJob();
    await this.runningDone;
    await this.link.close();
    await this.options.engine.stop();
  }

  /** Shows a problem of the inference worker in the state (null when it is fine again). */
  setEngineProblem(problem: string | null): void {
    if (!this.engineInfo || problem === this.engineError) return;
    this.engineError = problem;
    this.update({});
    this.link.send({ type: "status", status: this.nodeStatus() });
  }

  async getState(): Promise<Result<NodeState>> {
    return { ok: true, value: this.state };
  }

  async setSharing(on: boolean): Promise<Result<NodeState>> {
    if (typeof on !== "boolean") return { ok: false, error: "setSharing takes true or false" };
    if (on === this.state.sharing) return { ok: true, value: this.state };
    this.update({ sharing: on });
    if (!on) this.yieldRunningJob();
    this.link.send({ type: "status", status: this.nodeStatus() });
    this.options.logger.info(on ? "sharing turned on" : "sharing turned off");
    return { ok: true, value: this.state };
  }

  onState(listener: (state: NodeState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** What the coordinator is told about this node. */
  private nodeStatus(): NodeStatus {
    const info = this.engineInfo;
    return {
      sharing: this.state.sharing && info !== null && !this.stopping && this.engineError === null,
      reason: this.state.reason,
      models: info ? [info.model] : [],
      capacity: info ? 1 : 0,
      hardware: info?.hardware ?? { backend: "cpu", gpu: null, cpu: "unknown", memoryBytes: 0, vramBytes: null },
    };
  }

  private onConnection(connected: boolean, reason: string): void {
    this.connectionReason = reason;
    if (!connected && this.running) {
      // The coordinator has already given the job away; stop computing it.
      this.running.stopReason = "yield";
      this.running.controller.abort();
    }
    this.update({ coordinator: { url: this.options.coordinatorUrl, connected } });
  }

  private onMessage(message: InboundMessage): void {
    switch (message.type) {
      case "welcome":
        this.update({
          earnings: { ...this.state.earnings, balanceMicroUsd: message.balanceMicroUsd, todayMicroUsd: message.todayMicroUsd },
        });
        return;
      case "job": {
        const run = this.runJob(message);
        if (this.running?.jobId === message.jobId) this.runningDone = run;
        return;
      }
      case "cancel":
        if (this.running?.jobId === message.jobId) {
          this.running.stopReason = "cancel";
          this.running.controller.abort();
        }
        return;
      case "credit":
        this.update({
          earnings: {
            balanceMicroUsd: message.balanceMicroUsd,
            todayMicroUsd: message.todayMicroUsd,
            jobsServed: this.state.earnings.jobsServed + 1,
          },
        });
        return;
      case "error":
        this.options.logger.warn("the coordinator reported an error", { code: message.code, message: message.message });
        return;
    }
  }

  private refuse(jobId: string, code: JobFailureCode, message: string, retryable: boolean): void {
    this.link.send({ type: "failed", jobId, code, message, retryable });
  }

  private async runJob(job: JobMessage): Promise<void> {
    const info = this.engineInfo;
    if (!this.state.sharing || this.stopping) return this.refuse(job.jobId, "node_yield", "the owner is not sharing this machine now", true);
    if (!info || info.model.id !== job.model) return this.refuse(job.jobId, "model_not_loaded", `model ${job.model} is not loaded here`, true);
    if (this.running) return this.refuse(job.jobId, "busy", "the node is serving another job", true);

    const running: RunningJob = { jobId: job.jobId, controller: new AbortController(), stopReason: null };
    this.running = running;
    const startedAt = this.now();
    let firstTokenAt: number | null = null;
    let produced = 0;
    this.update({ currentJob: { jobId: job.jobId, model: job.model, startedAt, completionTokens: 0 } });
    try {
      const result = await this.options.engine.generate(
        { jobId: job.jobId, input: job.input, sampling: job.sampling },
        (text, count) => {
          if (running.stopReason === "yield") return;
          firstTokenAt ??= this.now();
          produced += count;
          this.link.send({ type: "tokens", jobId: job.jobId, text, count });
        },
        running.controller.signal,
      );
      if (running.stopReason === "yield") {
        this.refuse(job.jobId, "node_yield", "the owner stopped sharing; job handed back", true);
        return;
      }
      const receipt = await this.options.wallet.signReceipt({
        jobId: job.jobId,
        model: job.model,
        promptTokens: result.promptTokens,
        completionTokens: result.completionTokens,
        outputHash: outputHash(result.text),
      });
      this.link.send({ type: "done", jobId: job.jobId, finishReason: result.finishReason, receipt });
      const finishedAt = this.now();
      const seconds = (finishedAt - (firstTokenAt ?? startedAt)) / 1000;
      this.update({
        lastJob: {
          jobId: job.jobId,
          model: job.model,
          completionTokens: result.completionTokens,
          tokensPerSecond: seconds > 0 ? Math.round((Math.max(result.completionTokens - 1, 0) / seconds) * 10) / 10 : 0,
          finishedAt,
          finishReason: result.finishReason,
        },
      });
    } catch (error) {
      const failure =
        error instanceof InferenceError ? error : new InferenceError("internal", `the worker failed: ${(error as Error).message}`, true);
      const code = running.stopReason === "yield" ? "node_yield" : failure.code;
      this.refuse(job.jobId, code, failure.message, running.stopReason === "yield" || failure.retryable);
      this.options.logger.warn("job failed", { jobId: job.jobId, code, produced });
    } finally {
      if (this.running === running) this.running = null;
      this.update({ currentJob: null });
    }
  }

  private yieldRunningJob(): void {
    if (!this.running) return;
    this.running.stopReason = "yield";
    this.running.controller.abort();
  }

  private activity(): { activity: NodeActivity; reason: string } {
    if (this.engineError) return { activity: "error", reason: `Error: ${this.engineError}` };
    if (!this.engineInfo) return { activity: "connecting", reason: "Starting: loading the model" };
    if (!this.state.sharing) return { activity: "off", reason: "Off: sharing is switched off" };
    if (!this.state.coordinator.connected) return { activity: "connecting", reason: `Connecting: ${this.connectionReason}` };
    if (this.state.currentJob) return { activity: "earning", reason: `Earning: serving a job for ${this.state.currentJob.model}` };
    return { activity: "ready", reason: "Ready: waiting for jobs" };
  }

  private update(patch: Partial<NodeState>): void {
    const next = { ...this.state, ...patch };
    this.state = next;
    const { activity, reason } = this.activity();
    this.state = { ...next, activity, reason };
    for (const listener of this.listeners) {
      try {
        listener(this.state);
      } catch (error) {
        this.options.logger.error("state listener failed", { error: (error as Error).message });
      }
    }
  }
}
