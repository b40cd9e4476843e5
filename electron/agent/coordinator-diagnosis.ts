/**
 * The node's questions to the coordinator about how it sees this node ("why am I not getting
 * jobs"): each `diagnose` waits for its `diagnosis` by request id, at most a few seconds.
 */
import { randomUUID } from "node:crypto";
import type { DiagnosisView } from "../../shared/protocol";
import type { OutgoingNodeMessage } from "./coordinator-client";

/** How long the coordinator has to answer (ms). */
export const DIAGNOSIS_TIMEOUT_MS = 3000;

/** Outstanding `diagnose` requests. */
export class DiagnosisRequests {
  private readonly pending = new Map<string, (view: DiagnosisView | null) => void>();

  constructor(
    private readonly send: (message: OutgoingNodeMessage) => boolean,
    private readonly timeoutMs = DIAGNOSIS_TIMEOUT_MS,
  ) {}

  /** Asks the coordinator; null when it cannot be asked, refuses, or does not answer in time. */
  request(): Promise<DiagnosisView | null> {
    const requestId = randomUUID();
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(null), this.timeoutMs);
      const finish = (view: DiagnosisView | null) => {
        clearTimeout(timer);
        this.pending.delete(requestId);
        resolve(view);
      };
      this.pending.set(requestId, finish);
      if (!this.send({ type: "diagnose", requestId })) finish(null);
    });
  }

  /** The coordinator answered `requestId`. */
  answer(requestId: string, view: DiagnosisView): void {
    this.pending.get(requestId)?.(view);
  }

  /** The coordinator refused `requestId` (an error message naming it). */
  refuse(requestId: string): void {
    this.pending.get(requestId)?.(null);
  }

  /** The connection dropped: no answer will come. */
  abandonAll(): void {
    for (const finish of [...this.pending.values()]) finish(null);
  }
}
