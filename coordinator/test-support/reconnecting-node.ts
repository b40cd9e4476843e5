/**
 * Test and bench support: a simulated node that behaves like an agent kept running by its
 * owner — whenever its connection drops (the coordinator restarted, the network broke) it logs in
 * again under the same wallet after a short backoff, and it can be killed mid-answer (its socket
 * cut without a close frame) to come back a little later, like an agent restarted after a crash.
 */
import { generatePrivateKey } from "viem/accounts";
import { SimNode, type SimNodeOptions } from "./sim-node";

/** How the node reconnects. */
export interface ReconnectingNodeOptions extends Omit<SimNodeOptions, "privateKey"> {
  /** Delay before each new login attempt (default 100 ms, doubling per failure up to 2 s). */
  readonly backoffMs?: number;
}

const MAX_BACKOFF_MS = 2_000;

/** A simulated node that keeps logging in again until stopped. */
export class ReconnectingNode {
  private readonly privateKey = generatePrivateKey();
  private current: SimNode | null = null;
  private stopped = false;
  private pausedUntil = 0;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  /** Every logged-in connection so far, the current one last (for the messages each received). */
  readonly sessions: SimNode[] = [];
  /** Successful logins, the first included. */
  logins = 0;
  /** Login attempts that failed (coordinator down, no welcome in time). */
  failedLogins = 0;

  constructor(private readonly options: ReconnectingNodeOptions) {}

  /** Starts logging in (and keeps doing so); resolves after the first attempt. */
  async start(): Promise<void> {
    let first!: () => void;
    const attempted = new Promise<void>((r) => (first = r));
    this.loop = this.run(first);
    await attempted;
  }

  /** True while logged in. */
  get connected(): boolean {
    return this.current?.isOpen ?? false;
  }

  /** The node of the current connection (for its messages), if any. */
  get node(): SimNode | null {
    return this.current;
  }

  /** True while the node is answering a job (sent a job it has not finished). */
  get busy(): boolean {
    const n = this.current;
    if (!n || !n.isOpen) return false;
    return n.jobIds.some((id) => !n.sentDone.has(id));
  }

  /** Cuts the connection at once, no close frame (a crash), and stays away for `downMs`. */
  kill(downMs: number): void {
    this.pausedUntil = Date.now() + downMs;
    void this.current?.close();
  }

  /** Stops for good and closes the connection. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.current?.close();
    await this.loop;
  }

  private async sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = null;
  }

  private async run(first: () => void): Promise<void> {
    const base = this.options.backoffMs ?? 100;
    let backoff = base;
    while (!this.stopped) {
      const pause = this.pausedUntil - Date.now();
      if (pause > 0) await this.sleep(pause);
      if (this.stopped) break;
      let node: SimNode | null = null;
      try {
        node = await SimNode.connect({ ...this.options, privateKey: this.privateKey });
        if (node.messages("welcome").length === 0) throw new Error("login refused");
      } catch {
        await node?.close();
        node = null;
      }
      first();
      if (!node) {
        this.failedLogins++;
        await this.sleep(backoff);
        backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
        continue;
      }
      this.logins++;
      this.sessions.push(node);
      backoff = base;
      this.current = node;
      if (this.stopped) await node.close();
      await node.closed;
      if (!this.stopped) await this.sleep(base);
    }
  }
}
