/**
 * The node's side of withdrawals: it asks the wallet to sign a request and posts it to the
 * coordinator over HTTP (the same host and port as the node's WebSocket), and reads its own
 * history with a signed read. Both name the coordinator's id (coordinator-identity.ts), so no
 * other coordinator can take them. A request that gets no answer is posted again with the very same
 * signature and nonce, which the coordinator answers with the first one's result: a lost
 * answer never makes a second withdrawal.
 */
import { randomBytes } from "node:crypto";
import type { Result } from "../../shared/control-api";
import {
  destinationProblem,
  NODE_AUTH_HEADERS,
  withdrawalAskSchema,
  withdrawalHistorySchema,
  withdrawalReplySchema,
  withdrawalTermsSchema,
  type WithdrawalAsk,
  type WithdrawalHistory,
  type WithdrawalTermsView,
  type WithdrawalView,
} from "../../shared/withdrawal";
import { CoordinatorIdentity } from "./coordinator-identity";
import type { NodeWallet } from "./wallet";

/** How long a signed request stays valid (seconds). */
export const REQUEST_VALIDITY_SECONDS = 600;
/** How long a signed read stays valid (seconds). */
const READ_VALIDITY_SECONDS = 120;
/** Posts of one signed request, the first included. */
const POST_ATTEMPTS = 3;

/** The coordinator's HTTP base for its node WebSocket URL: ws://host:port/v1/node → http://host:port. */
export function coordinatorHttpUrl(wsUrl: string): string {
  const url = new URL(wsUrl);
  if (url.protocol !== "ws:" && url.protocol !== "wss:") throw new Error(`the coordinator address must be ws:// or wss://, got ${url.protocol}`);
  return `${url.protocol === "wss:" ? "https:" : "http:"}//${url.host}`;
}

export interface WithdrawalClientOptions {
  /** The coordinator's node WebSocket URL (as the node connects to it). */
  readonly coordinatorUrl: string;
  readonly wallet: Pick<NodeWallet, "address" | "signWithdrawal" | "signWithdrawalRead">;
  /** Where the coordinator's id comes from (default: asked at coordinatorUrl's HTTP address). */
  readonly identity?: CoordinatorIdentity;
  readonly fetch?: typeof fetch;
  /** Epoch ms. */
  readonly now?: () => number;
  readonly timeoutMs?: number;
}

type Reply = { ok: true; status: number; body: unknown } | { ok: false; unreachable: true; error: string };

/** The sentence of an OpenAI-style error body, or a fallback naming the status. */
function errorMessage(body: unknown, status: number): string {
  const message = (body as { error?: { message?: unknown } } | null)?.error?.message;
  return typeof message === "string" ? message : `the coordinator answered ${status}`;
}

/** Runs `work`, turning a throw (the wallet is not open, …) into a refusal that says why. */
async function guarded<T>(work: () => Promise<Result<T>>): Promise<Result<T>> {
  try {
    return await work();
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/** Withdrawals of one node at one coordinator. */
export class WithdrawalClient {
  private readonly base: string;
  private readonly fetch: typeof fetch;
  private readonly now: () => number;
  private readonly identity: CoordinatorIdentity;

  constructor(private readonly options: WithdrawalClientOptions) {
    this.base = coordinatorHttpUrl(options.coordinatorUrl);
    this.fetch = options.fetch ?? globalThis.fetch;
    this.now = options.now ?? Date.now;
    this.identity = options.identity ?? new CoordinatorIdentity(this.base, this.fetch, options.timeoutMs);
  }

  /** The terms, the available balance and what was withdrawn today. */
  terms(): Promise<Result<WithdrawalTermsView>> {
    return guarded(() => this.readTerms());
  }

  /** This node's withdrawals, newest first. */
  list(): Promise<Result<WithdrawalView[]>> {
    return guarded(async () => {
      const history = await this.history();
      return history.ok ? { ok: true, value: history.value.withdrawals } : history;
    });
  }

  /** Signs and sends a withdrawal of `amountMicroUsd` to `to`; the coordinator's record of it, or why not. */
  withdraw(ask: WithdrawalAsk): Promise<Result<WithdrawalView>> {
    return guarded(() => this.send(ask));
  }

  private async readTerms(): Promise<Result<WithdrawalTermsView>> {
    const history = await this.history();
    if (!history.ok) return history;
    const { terms, availableMicroUsd, withdrawnTodayMicroUsd } = history.value;
    return { ok: true, value: { ...terms, address: this.options.wallet.address, availableMicroUsd, withdrawnTodayMicroUsd } };
  }

  private async send(ask: WithdrawalAsk): Promise<Result<WithdrawalView>> {
    const parsed = withdrawalAskSchema.safeParse(ask);
    if (!parsed.success) return { ok: false, error: "A withdrawal needs a destination address and a whole, positive number of micro-USD." };
    const problem = destinationProblem(parsed.data.to);
    if (problem) return { ok: false, error: problem };
    const termsReply = await this.call("GET", "/v1/withdrawals/terms");
    if (!termsReply.ok) return { ok: false, error: termsReply.error };
    if (termsReply.status !== 200) return { ok: false, error: errorMessage(termsReply.body, termsReply.status) };
    const terms = withdrawalTermsSchema.safeParse(termsReply.body);
    if (!terms.success) return { ok: false, error: "The coordinator's withdrawal terms are not in a form this node understands." };
    const message = {
      to: parsed.data.to as `0x${string}`,
      amountMicroUsd: parsed.data.amountMicroUsd,
      nonce: `0x${randomBytes(32).toString("hex")}` as `0x${string}`,
      chainId: terms.data.chainId,
      deadline: Math.floor(this.now() / 1000) + REQUEST_VALIDITY_SECONDS,
      coordinator: await this.identity.id(),
    };
    const signature = await this.options.wallet.signWithdrawal(message);
    const body = { node: this.options.wallet.address, ...message, signature };
    let reply: Reply = { ok: false, unreachable: true, error: "not sent" };
    for (let attempt = 0; attempt < POST_ATTEMPTS; attempt++) {
      reply = await this.call("POST", "/v1/nodes/withdrawals", body);
      if (reply.ok) break;
    }
    if (!reply.ok) return { ok: false, error: `${reply.error}; the request was not confirmed, ask for the history before trying again` };
    if (reply.status === 401) this.identity.forget();
    if (reply.status !== 200 && reply.status !== 201) return { ok: false, error: errorMessage(reply.body, reply.status) };
    const answer = withdrawalReplySchema.safeParse(reply.body);
    if (!answer.success) return { ok: false, error: "The coordinator's answer is not in a form this node understands." };
    return { ok: true, value: answer.data.withdrawal };
  }

  private async history(): Promise<Result<WithdrawalHistory>> {
    const deadline = Math.floor(this.now() / 1000) + READ_VALIDITY_SECONDS;
    const signature = await this.options.wallet.signWithdrawalRead(deadline, await this.identity.id());
    const reply = await this.call("GET", "/v1/nodes/withdrawals", undefined, {
      [NODE_AUTH_HEADERS.node]: this.options.wallet.address,
      [NODE_AUTH_HEADERS.deadline]: String(deadline),
      [NODE_AUTH_HEADERS.signature]: signature,
    });
    if (!reply.ok) return { ok: false, error: reply.error };
    if (reply.status === 401) this.identity.forget();
    if (reply.status !== 200) return { ok: false, error: errorMessage(reply.body, reply.status) };
    const history = withdrawalHistorySchema.safeParse(reply.body);
    if (!history.success) return { ok: false, error: "The coordinator's withdrawal history is not in a form this node understands." };
    return { ok: true, value: history.data };
  }

  private async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
    let response: Response;
    try {
      response = await this.fetch(`${this.base}${path}`, {
        method,
        headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 15_000),
      });
    } catch {
      return { ok: false, unreachable: true, error: `the coordinator at ${this.base} did not answer` };
    }
    return { ok: true, status: response.status, body: await response.json().catch(() => null) };
  }
}
