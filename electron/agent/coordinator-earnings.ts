/**
 * Reads this node's earnings from its coordinator's HTTP API (`GET /v1/nodes/<address>/earnings`),
 * each request signed with the wallet key for this coordinator's id (coordinator-identity.ts) and
 * checked against its schema on arrival. It asks for
 * credits refunded to consumers too, so that the owner sees those jobs as refunded rather than
 * missing (a coordinator that predates refunds ignores the ask).
 */
import {
  EARNINGS_INCLUDE_REFUNDED,
  EARNINGS_PAGE_MAX,
  EARNINGS_SIGNATURE_HEADER,
  EARNINGS_TIMESTAMP_HEADER,
  nodeEarningsReportSchema,
  type CreditedJob,
  type NodeEarningsReport,
} from "../../shared/earnings-view";
import { CoordinatorIdentity } from "./coordinator-identity";
import type { NodeWallet } from "./wallet";

/** The coordinator's HTTP origin from the WebSocket URL the node connects to. */
export function coordinatorHttpUrl(wsUrl: string): string {
  const url = new URL(wsUrl);
  url.protocol = url.protocol === "wss:" ? "https:" : url.protocol === "ws:" ? "http:" : url.protocol;
  return url.origin;
}

export interface EarningsClientOptions {
  /** The coordinator's WebSocket URL (as the node is configured with). */
  readonly coordinatorUrl: string;
  readonly wallet: Pick<NodeWallet, "address" | "signEarningsRequest">;
  /** Where the coordinator's id comes from (default: asked at coordinatorUrl's HTTP address). */
  readonly identity?: CoordinatorIdentity;
  readonly now?: () => number;
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

/** What the node gathered from the coordinator for a period. */
export interface CoordinatorEarnings {
  /** The first page's report (balances, series, hold, prices). */
  readonly report: NodeEarningsReport;
  /** Every credited job from `since` on, newest first, up to the limit asked for. */
  readonly jobs: CreditedJob[];
  /** True when there were more jobs than the limit. */
  readonly truncated: boolean;
}

/** Talks to one coordinator for one node. */
export class EarningsClient {
  private readonly base: string;
  private readonly identity: CoordinatorIdentity;

  constructor(private readonly options: EarningsClientOptions) {
    this.base = coordinatorHttpUrl(options.coordinatorUrl);
    this.identity = options.identity ?? new CoordinatorIdentity(this.base, options.fetch ?? fetch, options.timeoutMs ?? 10_000);
  }

  /** One page of the report; throws an Error saying what went wrong. */
  async page(query: { since?: number; cursor?: string; limit?: number; model?: string | null }): Promise<NodeEarningsReport> {
    const { wallet } = this.options;
    const timestamp = (this.options.now ?? Date.now)();
    const signature = await wallet.signEarningsRequest(timestamp, await this.identity.id());
    const params = new URLSearchParams({ include: EARNINGS_INCLUDE_REFUNDED });
    if (query.since !== undefined) params.set("since", String(Math.max(0, Math.floor(query.since))));
    if (query.cursor) params.set("cursor", query.cursor);
    if (query.limit !== undefined) params.set("limit", String(query.limit));
    if (query.model) params.set("model", query.model);
    const url = `${this.base}/v1/nodes/${wallet.address}/earnings?${params}`;
    let response: Response;
    try {
      response = await (this.options.fetch ?? fetch)(url, {
        headers: { [EARNINGS_TIMESTAMP_HEADER]: String(timestamp), [EARNINGS_SIGNATURE_HEADER]: signature },
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (error) {
      throw new Error(`the coordinator at ${this.base} did not answer (${(error as Error).message})`);
    }
    const body: unknown = await response.json().catch(() => null);
    if (!response.ok) {
      if (response.status === 401) this.identity.forget();
      const message = (body as { error?: { message?: unknown } } | null)?.error?.message;
      throw new Error(`the coordinator refused the request (${response.status}${typeof message === "string" ? `: ${message}` : ""})`);
    }
    const parsed = nodeEarningsReportSchema.safeParse(body);
    if (!parsed.success) throw new Error("the coordinator answered with something that is not an earnings report");
    return parsed.data;
  }

  /** The report and every job credited from `since` on (at most `maxJobs`), following the pages. */
  async since(since: number, maxJobs: number, model: string | null): Promise<CoordinatorEarnings> {
    const first = await this.page({ since, limit: Math.min(EARNINGS_PAGE_MAX, maxJobs), model });
    const jobs = [...first.jobs];
    let cursor = first.nextCursor;
    // Bounded: each page brings at least one job, and we stop at maxJobs.
    while (cursor !== null && jobs.length < maxJobs) {
      const next = await this.page({ since, cursor, limit: Math.min(EARNINGS_PAGE_MAX, maxJobs - jobs.length) });
      if (next.jobs.length === 0) break;
      jobs.push(...next.jobs);
      cursor = next.nextCursor;
    }
    return { report: first, jobs, truncated: cursor !== null };
  }
}
