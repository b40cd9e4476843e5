/**
 * The node's standing with its coordinator — quarantine, the owner's appeal and its outcome, the
 * earnings held and when they are forfeited — kept in the node's state so every UI sees it
 * pushed. The coordinator tells a connected node of a change with an `error` frame (codes in
 * STANDING_NOTICES); the node then reads its standing with a signed read. The owner's appeal is
 * signed with the wallet key for the coordinator's id and posted over HTTP.
 */
import { APPEAL_PATH, appealViewSchema, STANDING_HEADERS, STANDING_NOTICES, STANDING_PATH, standingReportSchema, statementProblem, type AppealView } from "../../shared/appeal";
import type { NodeState, Result } from "../../shared/control-api";
import type { Logger } from "../../shared/logger";
import { coordinatorHttpUrl } from "./coordinator-earnings";
import { CoordinatorIdentity } from "./coordinator-identity";
import type { NodeWallet } from "./wallet";

export interface StandingControlsOptions {
  /** The coordinator's WebSocket URL (as the node connects to it). */
  readonly coordinatorUrl: string;
  readonly wallet: Pick<NodeWallet, "address" | "signAppeal" | "signStandingRead">;
  readonly state: () => NodeState;
  readonly update: (patch: Partial<NodeState>) => void;
  readonly logger: Logger;
  readonly now?: () => number;
  readonly fetch?: typeof fetch;
  readonly timeoutMs?: number;
  readonly identity?: CoordinatorIdentity;
}

/** The sentence of an OpenAI-style error body, or one naming the status. */
function refusal(body: unknown, status: number): string {
  const message = (body as { error?: { message?: unknown } } | null)?.error?.message;
  return typeof message === "string" ? message : `the coordinator answered ${status}`;
}

/** Keeps `state.standing` and files the owner's appeal. */
export class StandingControls {
  private readonly base: string;
  private readonly identity: CoordinatorIdentity;
  private reading: Promise<void> | null = null;
  private again = false;

  constructor(private readonly options: StandingControlsOptions) {
    this.base = coordinatorHttpUrl(options.coordinatorUrl);
    this.identity = options.identity ?? new CoordinatorIdentity(this.base, options.fetch ?? fetch, options.timeoutMs ?? 10_000);
  }

  private get fetchFn(): typeof fetch {
    return this.options.fetch ?? fetch;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private patch(patch: Partial<NodeState["standing"]>): void {
    this.options.update({ standing: { ...this.options.state().standing, ...patch } });
  }

  /** The node logged in: its standing may have changed while it was away. */
  welcomed(): void {
    void this.refresh();
  }

  /** A frame from the coordinator; true when it was about the standing. */
  notice(code: string, message: string): boolean {
    if (code === STANDING_NOTICES.quarantined) {
      const reason = message.replace(/^quarantined:\s*/, "");
      const since = this.options.state().standing.quarantine?.since ?? null;
      this.patch({ quarantine: { reason, since } });
    } else if (code === STANDING_NOTICES.quarantineLifted) {
      this.patch({ quarantine: null, forfeitAt: null });
    } else if (code !== STANDING_NOTICES.appealRejected && code !== STANDING_NOTICES.earningsForfeited) {
      return false;
    }
    void this.refresh();
    return true;
  }

  /** Reads the standing from the coordinator into the state (one read at a time; a read asked for meanwhile follows it). */
  refresh(): Promise<void> {
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    this.reading = (async () => {
      do {
        this.again = false;
        await this.readOnce();
      } while (this.again);
    })().finally(() => {
      this.reading = null;
    });
    return this.reading;
  }

  private async readOnce(): Promise<void> {
    this.patch({ sync: "loading" });
    try {
      const { wallet } = this.options;
      const timestamp = this.now();
      const signature = await wallet.signStandingRead(timestamp, await this.identity.id());
      const response = await this.fetchFn(`${this.base}${STANDING_PATH}`, {
        headers: { [STANDING_HEADERS.node]: wallet.address, [STANDING_HEADERS.timestamp]: String(timestamp), [STANDING_HEADERS.signature]: signature },
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
      const body: unknown = await response.json().catch(() => null);
      if (!response.ok) {
        if (response.status === 401) this.identity.forget();
        throw new Error(refusal(body, response.status));
      }
      const report = standingReportSchema.parse(body);
      this.patch({ ...report, sync: "idle", error: null });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.options.logger.warn("could not read the node's standing", { error: message });
      this.patch({ sync: "error", error: `Could not read this node's standing from the coordinator: ${message}` });
    }
  }

  /** Signs the owner's statement and files it as an appeal; the state shows it at once. */
  async appeal(statement: string): Promise<Result<AppealView>> {
    const problem = statementProblem(statement);
    if (problem !== null) return { ok: false, error: `Cannot send this appeal: ${problem}.` };
    const text = statement.trim();
    try {
      const { wallet } = this.options;
      const timestamp = this.now();
      const signature = await wallet.signAppeal(text, timestamp, await this.identity.id());
      let response: Response;
      try {
        response = await this.fetchFn(`${this.base}${APPEAL_PATH}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ node: wallet.address, statement: text, timestamp, signature }),
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
        });
      } catch {
        return { ok: false, error: `The coordinator at ${this.base} did not answer; the appeal was not sent.` };
      }
      const body: unknown = await response.json().catch(() => null);
      if (!response.ok) {
        if (response.status === 401) this.identity.forget();
        return { ok: false, error: `The coordinator refused the appeal: ${refusal(body, response.status)}` };
      }
      const parsed = appealViewSchema.safeParse(body);
      if (!parsed.success) return { ok: false, error: "The coordinator answered the appeal with something that is not an appeal." };
      this.patch({ appeal: parsed.data, forfeitAt: null });
      this.options.logger.info("appeal sent", { appealId: parsed.data.id });
      return { ok: true, value: parsed.data };
    } catch (error) {
      return { ok: false, error: `The appeal could not be signed or sent: ${error instanceof Error ? error.message : String(error)}` };
    }
  }
}
