/** Entry of the renderer bundle: picks the bridge or WebSocket, builds the store, renders. */
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App, MissingTokenApp } from "./app";
import { openControlSource } from "./control-source";
import { createNodeStateStore } from "./node-state-store";
import { NodeStateProvider } from "./use-node-state";
import "./styles.css";
import "./schedule-diagnostics.css";

const container = document.getElementById("root");
if (container === null) throw new Error("index.html has no #root element");
const root = createRoot(container);
const source = openControlSource(window);

if (source.kind === "missing-token") {
  root.render(
    <StrictMode>
      <MissingTokenApp />
    </StrictMode>,
  );
} else {
  const store = createNodeStateStore(source.api, source.connection);
  root.render(
    <StrictMode>
      <NodeStateProvider store={store}>
        <App />
      </NodeStateProvider>
    </StrictMode>,
  );
  window.addEventListener("pagehide", () => {
    store.dispose();
    source.close();
  });
}
