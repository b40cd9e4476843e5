/**
 * Shows the first-run setup instead of the Dashboard until the owner finished it (`onboarded`
 * in the settings), and at `#/welcome` whenever asked for again. A settings read that fails does
 * not hold the app up: the pages show, and the setup waits for the next start.
 */
import { useCallback, type ReactNode } from "react";
import type { NodeState } from "../../shared/control-api";
import { StatusMessage } from "../components/status-message";
import { OnboardingPage } from "../pages/onboarding-page";
import type { Route } from "../routes";
import { useLoader } from "../use-loader";
import { useNodeStateStore } from "../use-node-state";

export function OnboardingGate(props: { route: Route; state: NodeState; connected: boolean; children: ReactNode }) {
  const store = useNodeStateStore();
  const { loaded, replace } = useLoader(useCallback(() => store.api.getSettings(), [store]));
  const asked = props.route === "welcome";
  if (props.route !== "dashboard" && !asked) return <>{props.children}</>;
  if (loaded.status === "loading") return <StatusMessage kind="loading" title="Loading…" />;
  if (loaded.status === "error" || (loaded.value.onboarded && !asked)) return <>{props.children}</>;
  return (
    <main className="page">
      <OnboardingPage
        state={props.state}
        connected={props.connected}
        settings={loaded.value}
        onFinished={(settings) => {
          replace(settings);
          if (asked) window.location.hash = "#/";
        }}
      />
    </main>
  );
}
