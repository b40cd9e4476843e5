/**
 * An in-memory {@link ControlApi} for tests of the UI side: it keeps one state object, applies
 * setSharing the way the agent does (activity and reason follow the switch), and pushes every
 * change to its listeners.
 */
import type { ControlApi, NodeState, Result } from "../../shared/control-api";

/** A plausible node state: a demo model on a CPU, some earnings, not sharing. */
export function sampleNodeState(overrides: Partial<NodeState> = {}): NodeState {
  return {
    sharing: false,
    activity: "off",
    reason: "Off: sharing is switched off",
    address: "0x5b3E6f1c0D7A4c2b9E8F3a1d6C0b7e4A2f9D1c38",
    coordinator: { url: "ws://127.0.0.1:4100/node", connected: true },
    model: { id: "offpeak-demo-tiny", label: "Offpeak demo (tiny)", path: "/models/demo.gguf", demo: true, contextSize: 512 },
    hardware: { backend: "cpu", gpu: null, cpu: "AMD EPYC 7B13 (2 cores)", memoryBytes: 8 * 1024 ** 3, vramBytes: null },
    currentJob: null,
    lastJob: {
      jobId: "job-1",
      model: "offpeak-demo-tiny",
      completionTokens: 64,
      tokensPerSecond: 412.5,
      finishedAt: Date.UTC(2025, 0, 1, 12, 0, 0),
      finishReason: "length",
    },
    earnings: { todayMicroUsd: 1_234, balanceMicroUsd: 12_500_000, jobsServed: 3 },
    demoModel: true,
    ...overrides,
  };
}

/** A fake agent: its state can be changed from the test and every change is pushed. */
export class FakeControlApi implements ControlApi {
  private current: NodeState;
  private readonly listeners = new Set<(state: NodeState) => void>();
  /** Every setSharing call, in order. */
  readonly sharingCalls: boolean[] = [];
  /** When set, calls fail with this message. */
  failWith: string | null = null;

  constructor(initial: NodeState = sampleNodeState()) {
    this.current = initial;
  }

  get state(): NodeState {
    return this.current;
  }

  /** Replaces part of the state and pushes the result, as the agent does on any change. */
  update(patch: Partial<NodeState>): void {
    this.current = { ...this.current, ...patch };
    for (const listener of this.listeners) listener(this.current);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  async getState(): Promise<Result<NodeState>> {
    if (this.failWith !== null) return { ok: false, error: this.failWith };
    return { ok: true, value: this.current };
  }

  async setSharing(on: boolean): Promise<Result<NodeState>> {
    this.sharingCalls.push(on);
    if (this.failWith !== null) return { ok: false, error: this.failWith };
    this.update(
      on
        ? { sharing: true, activity: "ready", reason: "Ready: waiting for jobs" }
        : { sharing: false, activity: "off", reason: "Off: sharing is switched off" },
    );
    return { ok: true, value: this.current };
  }

  onState(listener: (state: NodeState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
