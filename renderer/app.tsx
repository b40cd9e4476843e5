/**
 * The app shell: header, page navigation, the agent's warnings and the connection banner on
 * every page, then the page the address names — or an explanation when the page has no way in.
 */
import { useEffect, useRef, type ReactNode } from "react";
import type { NodeState } from "../shared/control-api";
import { AppHeader } from "./components/app-header";
import { NavBar } from "./components/nav-bar";
import { DisconnectedBanner, StatusMessage } from "./components/status-message";
import { WarningBanners } from "./components/warning-banners";
import type { ConnectionStatus } from "./control-client";
import { DashboardPage } from "./pages/dashboard-page";
import { DiagnosticsPage } from "./pages/diagnostics-page";
import { ModelsPage } from "./pages/models-page";
import { SchedulePage } from "./pages/schedule-page";
import { SettingsPage } from "./pages/settings-page";
import { WalletPage } from "./pages/wallet-page";
import { EarningsPage } from "./pages/earnings-page";
import { OnboardingGate } from "./onboarding/onboarding-gate";
import type { Route } from "./routes";
import { useNodeState } from "./use-node-state";
import { useRoute } from "./use-route";

/** Moves focus to the new page's title after a navigation (not on first load). */
function useFocusOnNavigation(route: Route) {
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    document.getElementById("page-title")?.focus();
  }, [route]);
}

/** What every page needs before it can show: a valid link and a first state. */
function NodeGate(props: { state: NodeState | null; connection: ConnectionStatus; error: string | null; children: (state: NodeState) => ReactNode }) {
  const { state, connection, error } = props;
  if (connection === "unauthorized") {
    return (
      <StatusMessage kind="error" title="This dashboard link is no longer valid">
        The node was restarted or the link is wrong. Open the dashboard link that offpeak printed when it started.
      </StatusMessage>
    );
  }
  if (state === null) {
    if (error !== null) {
      return (
        <StatusMessage kind="error" title="The node did not answer">
          {error}
        </StatusMessage>
      );
    }
    if (connection === "reconnecting" || connection === "closed") {
      return (
        <StatusMessage kind="error" title="Cannot reach the node">
          Is offpeak still running? Retrying…
        </StatusMessage>
      );
    }
    return <StatusMessage kind="loading" title="Connecting to your node…" />;
  }
  return <>{props.children(state)}</>;
}

export function App() {
  const { state, connection, error } = useNodeState();
  const route = useRoute();
  useFocusOnNavigation(route);
  const connected = connection === "open";
  const activeDownloads = state?.downloads.filter((d) => d.state === "downloading" || d.state === "verifying").length ?? 0;
  return (
    <div className="app">
      <AppHeader state={state} nodeReachable={connected} />
      <NavBar route={route} downloads={activeDownloads} />
      {state !== null && connection !== "unauthorized" && (
        <>
          <WarningBanners warnings={state.warnings} />
          {!connected && <DisconnectedBanner />}
        </>
      )}
      <NodeGate state={state} connection={connection} error={error}>
        {(current) => (
          <OnboardingGate route={route} state={current} connected={connected}>
            <main className={connected ? "page" : "page stale"}>
              {route === "models" ? (
                <ModelsPage state={current} connected={connected} />
              ) : route === "settings" ? (
                <SettingsPage connected={connected} />
              ) : route === "schedule" ? (
                <SchedulePage connected={connected} />
              ) : route === "earnings" ? (
                <EarningsPage state={current} connected={connected} />
              ) : route === "wallet" ? (
                <WalletPage state={current} connected={connected} />
              ) : route === "diagnostics" ? (
                <DiagnosticsPage state={current} connected={connected} />
              ) : (
                <DashboardPage state={current} connected={connected} />
              )}
            </main>
          </OnboardingGate>
        )}
      </NodeGate>
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
