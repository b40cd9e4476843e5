/** The top bar: product name, the coordinator connection and the node's wallet address. */
import type { NodeState } from "../../shared/control-api";
import { shortAddress } from "../format";

export function AppHeader(props: { state: NodeState | null }) {
  const coordinator = props.state?.coordinator;
  return (
    <header className="app-header">
      <h1 className="brand">Offpeak</h1>
      {props.state && coordinator && (
        <div className="header-facts">
          <span className="coordinator" data-testid="coordinator" title={coordinator.url}>
            <span className={`dot small ${coordinator.connected ? "dot-ready" : "dot-off"}`} aria-hidden="true" />
            {coordinator.connected ? "Connected to the network" : "Not connected to the network"}
          </span>
          <span className="address" title={props.state.address}>
            Wallet {shortAddress(props.state.address)}
          </span>
        </div>
      )}
    </header>
  );
}
