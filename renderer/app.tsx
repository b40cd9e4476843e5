/** The app shell: header and the Dashboard, or an explanation when the page has no way in. */
import { AppHeader } from "./components/app-header";
import { StatusMessage } from "./components/status-message";
import { DashboardPage } from "./pages/dashboard-page";
import { useNodeState } from "./use-node-state";

export function App() {
  const { state, connection } = useNodeState();
  return (
    <div className="app">
      <AppHeader state={state} nodeReachable={connection === "open"} />
      <DashboardPage />
    </div>
  );
}

/** Shown when the page was opened without the `#token=…` part of the dashboard link. */
export function MissingTokenApp() {
  return (
    <div className="app">
      <AppHeader state={null} nodeReachable={false} />
      <StatusMessage kind="error" title="Open the full dashboard link">
        This page needs the link that offpeak printed when it started (it ends with #token=…).
      </StatusMessage>
    </div>
  );
}
