/**
 * Test doubles for the node agent: a scripted inference engine, the coordinator's job message, a
 * coordinator link the test drives, and the options of an agent built from them.
 */
import { expect } from "vitest";
import { silentLogger } from "../../shared/logger";
import type { NodeStatus } from "../../shared/protocol";
import type { InboundMessage, OutgoingNodeMessage } from "./coordinator-client";
import type { EngineInfo, InferenceEngine, InferenceError, InferenceJob, InferenceResult } from "./inference";
import { FileKeyStore } from "./key-store";
import type { InstalledModel } from "./models/model-manager";
import type { CoordinatorLink, NodeAgentOptions } from "./node-agent";
import { MemorySettingsStore } from "./settings-store";
import { openWallet, type WalletVault } from "./wallet";

/** An engine that emits one word per tick until done or aborted. */
export class ScriptedEngine implements InferenceEngine {
  words = ["Once", " upon", " a", " time"];
  tickMs = 5;
  capacity = 1;
  failWith: InferenceError | null = null;
  unloads = 0;
  /** The abort signal of each job, in order. */
  readonly jobSignals: AbortSignal[] = [];
  async start(): Promise<EngineInfo> {
    return {
      capacity: this.capacity,
      model: { id: "tiny", label: "Tiny", contextSize: 256, demo: true },
      hardware: { backend: "cpu", gpu: null, cpu: "test cpu", memoryBytes: 1 << 30, vramBytes: null },
    };
  }
  async generate(job: InferenceJob, onTokens: (text: string, count: number) => void, signal: AbortSignal): Promise<InferenceResult> {
    this.jobSignals.push(signal);
    if (this.failWith) throw this.failWith;
    let text = "";
    let n = 0;
    for (const word of this.words.slice(0, job.sampling.maxTokens)) {
      if (signal.aborted) return { finishReason: "cancelled", promptTokens: 3, completionTokens: n, text };
      await new Promise((r) => setTimeout(r, this.tickMs));
      text += word;
      n++;
      onTokens(word, 1);
    }
    return { finishReason: n === job.sampling.maxTokens ? "length" : "stop", promptTokens: 3, completionTokens: n, text };
  }
  async stop(): Promise<void> {}
  async unload(): Promise<void> {
    this.unloads++;
  }
}

/** A job for the "tiny" model. */
export function jobMessage(jobId: string, maxTokens = 4): InboundMessage {
  return {
    v: 1,
    type: "job",
    jobId,
    model: "tiny",
    input: { kind: "completion", prompt: "Tell me" },
    sampling: { maxTokens, temperature: 0, topP: 1, stop: [] },
  };
}

/** The model the agents of the tests serve. */
export const TINY_MODEL: InstalledModel = { id: "tiny", name: "Tiny", path: "/models/tiny.gguf", bytes: 1, demo: true };

/**
 * The options of an agent serving {@link TINY_MODEL} with a {@link ScriptedEngine} in a full
 * sandbox, its wallet kept in `dir`; `overrides` replace any of them (give it a `connect`: the
 * default one dials a coordinator that is not there).
 */
export async function tinyAgentOptions(dir: string, overrides: Partial<NodeAgentOptions> = {}): Promise<NodeAgentOptions> {
  return tinyAgentOptionsWith(await openWallet(new FileKeyStore(dir)), overrides);
}

/** The options of {@link tinyAgentOptions} with a wallet the test opened itself. */
export function tinyAgentOptionsWith(wallet: WalletVault, overrides: Partial<NodeAgentOptions> = {}): NodeAgentOptions {
  return {
    coordinatorUrl: "ws://127.0.0.1:1/v1/node",
    model: TINY_MODEL,
    createEngine: () => new ScriptedEngine(),
    settings: new MemorySettingsStore(),
    sandbox: { kind: "bubblewrap", active: true, detail: "bubblewrap: no network" },
    wallet,
    logger: silentLogger,
    agentVersion: "test",
    ...overrides,
  };
}

/** A coordinator link that never connects and sends nothing: the agent's HTTP calls still reach the coordinator. */
export const unconnectedLink = (): CoordinatorLink => ({ connected: false, start() {}, send: () => false, close: async () => {} });

type LinkHandlers = Parameters<NonNullable<NodeAgentOptions["connect"]>>[0];

/** The agent's coordinator link played by the test: it keeps what the agent sends and delivers what the test says. */
export class FakeCoordinatorLink {
  readonly sent: OutgoingNodeMessage[] = [];
  private handlers: LinkHandlers | null = null;

  /** `connectAtOnce`: the link reports itself connected as soon as the agent opens it. */
  constructor(private readonly connectAtOnce = false) {}

  /** The agent's `connect` option. */
  readonly connect = (handlers: LinkHandlers): CoordinatorLink => {
    this.handlers = handlers;
    if (this.connectAtOnce) handlers.onConnection(true, "connected");
    return { connected: true, start() {}, send: (message) => (this.sent.push(message), true), close: async () => {} };
  };
  /** Hands the agent a message from the coordinator. */
  readonly deliver = (message: InboundMessage): void => this.opened().onMessage(message);
  /** Tells the agent the connection went up or down. */
  readonly connection = (connected: boolean, reason: string): void => this.opened().onConnection(connected, reason);
  /** The status the agent would send the coordinator now. */
  readonly status = (): NodeStatus => this.opened().status();

  private opened(): LinkHandlers {
    if (!this.handlers) throw new Error("the agent has not opened its coordinator link");
    return this.handlers;
  }
}

/** Waits (at most 2 s) until `predicate` holds, and fails the test if it never does. */
export async function waitFor(predicate: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !predicate(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(predicate()).toBe(true);
}
