/**
 * The node's session with the coordinator: the link it talks through, logging in once the wallet
 * is open (and again under a restored key, since the coordinator knows the node by its address),
 * what a dropped connection means for the running jobs and pending questions, and routing of
 * the coordinator's messages (coordinator-inbox.ts).
 */
import type { Logger } from "../../shared/logger";
import type { DiagnosisView, NodeStatus } from "../../shared/protocol";
import { CoordinatorClient, type InboundMessage, type OutgoingNodeMessage } from "./coordinator-client";
import { DiagnosisRequests } from "./coordinator-diagnosis";
import { CoordinatorInbox, type ServingFacts } from "./coordinator-inbox";
import type { EarningsControls } from "./earnings-controls";
import type { JobRunner } from "./job-runner";
import type { NodeStatePublisher } from "./node-state-publisher";
import type { WalletVault } from "./wallet";
import type { StandingControls } from "./standing-controls";

/** The connection the agent talks through (the real client, or a test double). */
export interface CoordinatorLink {
  readonly connected: boolean;
  start(): void;
  send(message: OutgoingNodeMessage): boolean;
  close(): Promise<void>;
}

/** What a coordinator link calls back. */
export interface LinkHandlers {
  status: () => NodeStatus;
  onMessage: (message: InboundMessage) => void;
  onConnection: (connected: boolean, reason: string) => void;
}

export interface CoordinatorSessionOptions {
  readonly coordinatorUrl: string;
  readonly wallet: WalletVault;
  readonly agentVersion: string;
  readonly logger: Logger;
  /** Builds the coordinator link; defaults to {@link CoordinatorClient}. */
  readonly connect?: (handlers: LinkHandlers) => CoordinatorLink;
  readonly store: Pick<NodeStatePublisher, "update" | "noteConnection">;
  readonly jobs: JobRunner;
  readonly earnings: EarningsControls;
  /** What the coordinator is told about this node. */
  readonly status: () => NodeStatus;
  /** What taking a job depends on now (the running count is the session's own). */
  readonly serving: () => Omit<ServingFacts, "running">;
  /** True once the agent is shutting down: no login starts then. */
  readonly stopping: () => boolean;
  /** The node's standing (quarantine, appeal), told of logins and the coordinator's notices. */
  readonly standing?: Pick<StandingControls, "welcomed" | "notice">;
}

/** The node's link to its coordinator and what travels over it. */
export class CoordinatorSession {
  private readonly link: CoordinatorLink;
  private readonly diagnoses: DiagnosisRequests;
  private linkStarted = false;

  constructor(private readonly options: CoordinatorSessionOptions) {
    const { jobs, earnings, logger } = options;
    // Everything the handlers reach is built before the link: a link may report its connection
    // while it is being built.
    this.diagnoses = new DiagnosisRequests((message) => this.send(message));
    const inbox = new CoordinatorInbox({ jobs, earnings, diagnoses: this.diagnoses, logger, serving: options.serving, standing: options.standing });
    const handlers: LinkHandlers = {
      status: options.status,
      onMessage: (message) => inbox.receive(message),
      onConnection: (connected, reason) => this.onConnection(connected, reason),
    };
    this.link =
      options.connect?.(handlers) ??
      new CoordinatorClient({ url: options.coordinatorUrl, wallet: options.wallet, agentVersion: options.agentVersion, logger, ...handlers });
  }

  /** Sends a message if the link is up; false when it could not be sent. */
  send(message: OutgoingNodeMessage): boolean {
    return this.link.send(message);
  }

  /** Tells the coordinator the node's status now. */
  sendStatus(): void {
    this.send({ type: "status", status: this.options.status() });
  }

  /** Asks the coordinator how it sees this node; null when it cannot say. */
  diagnose(): Promise<DiagnosisView | null> {
    return this.diagnoses.request();
  }

  /**
   * Logs in with the open wallet: the first time, or again when its address `changed` (a restored
   * key). The withdrawals are read before the login too, so a coordinator that cannot be reached
   * says so instead of "loading".
   */
  login(changed: boolean): void {
    if (this.linkStarted && !changed) return;
    this.options.earnings.refreshWithdrawals();
    const relink = async () => {
      this.options.jobs.yieldAll();
      if (this.linkStarted) {
        // The coordinator knows this node by its old address until it logs in again.
        this.onConnection(false, "logging in with the restored wallet");
        await this.link.close();
      }
      this.linkStarted = true;
      if (!this.options.stopping()) this.link.start();
    };
    relink().catch((error: Error) => this.options.logger.error("could not log in again", { error: error.message }));
  }

  /** Closes the link for good. */
  close(): Promise<void> {
    return this.link.close();
  }

  private onConnection(connected: boolean, reason: string): void {
    this.options.store.noteConnection(reason);
    // The coordinator has already given the jobs away; stop computing them.
    if (!connected) {
      this.options.jobs.yieldAll();
      this.diagnoses.abandonAll();
    }
    this.options.store.update({ coordinator: { url: this.options.coordinatorUrl, connected } });
    this.options.earnings.setConnected(connected);
  }
}
