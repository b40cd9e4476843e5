import { describe, expect, it, vi } from "vitest";
import { FakeControlApi } from "../tests/fake-electron/fake-control-api";
import type { ConnectionStatus } from "./control-client";
import { createNodeStateStore, type ConnectionSource } from "./node-state-store";

function connectionSource(initial: ConnectionStatus) {
  const listeners = new Set<(s: ConnectionStatus) => void>();
  const source: ConnectionSource & { set(s: ConnectionStatus): void } = {
    connection: initial,
    onConnection(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    set(s) {
      for (const l of listeners) l(s);
    },
  };
  return source;
}

describe("node state store", () => {
  it("loads the state once, then follows pushes and the connection", async () => {
    const control = new FakeControlApi();
    const connection = connectionSource("connecting");
    const store = createNodeStateStore(control, connection);
    expect(store.getSnapshot()).toEqual({ state: null, connection: "connecting", error: null });
    await vi.waitFor(() => expect(store.getSnapshot().state?.activity).toBe("off"));

    const renders: string[] = [];
    store.subscribe(() => renders.push(store.getSnapshot().state?.activity ?? "none"));
    control.update({ activity: "paused", reason: "Paused: on battery" });
    connection.set("reconnecting");
    expect(renders).toEqual(["paused", "paused"]);
    expect(store.getSnapshot().connection).toBe("reconnecting");
    store.dispose();
    expect(control.listenerCount).toBe(0);
  });

  it("shows why the state could not be loaded", async () => {
    const control = new FakeControlApi();
    control.failWith = "The node is shutting down";
    const store = createNodeStateStore(control);
    await vi.waitFor(() => expect(store.getSnapshot().error).toBe("The node is shutting down"));
    expect(store.getSnapshot().state).toBeNull();
  });

  it("applies the state a successful setSharing returns and passes a refusal back", async () => {
    const control = new FakeControlApi();
    const store = createNodeStateStore(control);
    await vi.waitFor(() => expect(store.getSnapshot().state).not.toBeNull());
    expect((await store.setSharing(true)).ok).toBe(true);
    expect(store.getSnapshot().state?.sharing).toBe(true);
    control.failWith = "The wallet is locked";
    expect(await store.setSharing(false)).toEqual({ ok: false, error: "The wallet is locked" });
    expect(store.getSnapshot().state?.sharing).toBe(true);
  });
});
