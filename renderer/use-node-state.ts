/** React access to the {@link NodeStateStore}: a provider and the `useNodeState()` hook. */
import { createContext, createElement, useContext, useSyncExternalStore, type ReactNode } from "react";
import type { NodeStateStore, NodeStateView } from "./node-state-store";

const StoreContext = createContext<NodeStateStore | null>(null);

/** Makes the store available to the components below. */
export function NodeStateProvider(props: { store: NodeStateStore; children: ReactNode }) {
  return createElement(StoreContext.Provider, { value: props.store }, props.children);
}

/** The store itself, for components that call the agent (the Share switch). */
export function useNodeStateStore(): NodeStateStore {
  const store = useContext(StoreContext);
  if (store === null) throw new Error("useNodeState must be used inside <NodeStateProvider>");
  return store;
}

/** The latest state pushed by the agent, and the connection to it; re-renders on every push. */
export function useNodeState(): NodeStateView {
  const store = useNodeStateStore();
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}
