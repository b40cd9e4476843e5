/**
 * The dashboard's single source of truth: the latest {@link NodeState} pushed by the agent and
 * the connection to it. Components read it through `useNodeState()`; they never poll.
 */
import type { ControlApi, NodeState, Result } from "../shared/control-api";
import type { ConnectionStatus } from "./control-client";

/** What the UI renders from. */
export interface NodeStateView {
  readonly state: NodeState | null;
  readonly connection: ConnectionStatus;
  /** Why there is no state, when loading failed. */
  readonly error: string | null;
}

/** A source of connection changes (the WebSocket client has one; the Electron bridge does not). */
export interface ConnectionSource {
  readonly connection: ConnectionStatus;
  onConnection(listener: (status: ConnectionStatus) => void): () => void;
}

export interface NodeStateStore {
  /** The agent's methods, for pages that read settings and models. */
  readonly api: ControlApi;
  subscribe(listener: () => void): () => void;
  getSnapshot(): NodeStateView;
  /** Asks the agent to switch sharing; the new state arrives through the store. */
  setSharing(on: boolean): Promise<Result<NodeState>>;
  /** Asks the agent to serve another installed model; the state it answers is applied. */
  useModel(modelId: string): Promise<Result<NodeState>>;
  /** Pauses sharing until `until` (epoch ms); the state it answers is applied. */
  pause(until: number): Promise<Result<NodeState>>;
  /** Ends the owner's pause; the state it answers is applied. */
  resume(): Promise<Result<NodeState>>;
  dispose(): void;
}

/** Builds the store over a ControlApi and starts listening to it. */
export function createNodeStateStore(api: ControlApi, connection?: ConnectionSource): NodeStateStore {
  const listeners = new Set<() => void>();
  let view: NodeStateView = { state: null, connection: connection?.connection ?? "open", error: null };

  function update(patch: Partial<NodeStateView>): void {
    view = { ...view, ...patch };
    for (const listener of listeners) listener();
  }

  function accept(result: Result<NodeState>): void {
    if (result.ok) update({ state: result.value, error: null });
    else if (view.state === null) update({ error: result.error });
  }

  const stops = [
    api.onState((state) => update({ state, error: null })),
    connection?.onConnection((status) => update({ connection: status })) ?? (() => {}),
  ];
  void api.getState().then(accept, (error: unknown) => update({ error: String(error) }));

  return {
    api,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getSnapshot: () => view,
    async setSharing(on) {
      const result = await api.setSharing(on);
      if (result.ok) update({ state: result.value });
      return result;
    },
    async useModel(modelId) {
      const result = await api.useModel(modelId);
      if (result.ok) update({ state: result.value });
      return result;
    },
    async pause(until) {
      const result = await api.pause(until);
      if (result.ok) update({ state: result.value });
      return result;
    },
    async resume() {
      const result = await api.resume();
      if (result.ok) update({ state: result.value });
      return result;
    },
    dispose() {
      for (const stop of stops) stop();
      listeners.clear();
    },
  };
}
