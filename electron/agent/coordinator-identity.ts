/**
 * The id of the coordinator a node's signed HTTP requests name (withdrawals, their reads, the
 * earnings reads): the one it sends in its login challenge, asked for over HTTP at the same host
 * so that these requests work with or without the node's WebSocket session. Asked once and kept;
 * forgotten when the coordinator refuses a signature, so the next request asks again.
 */
import { COORDINATOR_IDENTITY_PATH, coordinatorIdentitySchema } from "../../shared/typed-data";

export class CoordinatorIdentity {
  private known: Promise<string> | null = null;

  constructor(
    /** The coordinator's HTTP origin (http://host:port). */
    private readonly base: string,
    private readonly fetchFn: typeof fetch = globalThis.fetch,
    private readonly timeoutMs = 15_000,
  ) {}

  /** The coordinator's id; throws an Error saying why it could not be had. */
  id(): Promise<string> {
    this.known ??= this.ask().catch((error: unknown) => {
      this.known = null;
      throw error;
    });
    return this.known;
  }

  /** Drops the id kept, so the next request asks again (the coordinator refused a signature). */
  forget(): void {
    this.known = null;
  }

  private async ask(): Promise<string> {
    let response: Response;
    try {
      response = await this.fetchFn(`${this.base}${COORDINATOR_IDENTITY_PATH}`, { signal: AbortSignal.timeout(this.timeoutMs) });
    } catch {
      throw new Error(`the coordinator at ${this.base} did not answer`);
    }
    const parsed = coordinatorIdentitySchema.safeParse(await response.json().catch(() => null));
    if (!response.ok || !parsed.success) throw new Error(`the coordinator at ${this.base} does not say its id (answered ${response.status}), so no request can be signed for it`);
    return parsed.data.coordinatorId;
  }
}
