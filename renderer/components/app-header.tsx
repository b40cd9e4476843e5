/** The top bar: product name, the coordinator connection and the node's wallet address. */
import type { NodeState } from "../../shared/control-api";
import { shortAddress } from "../format";

export function AppHeader(props: { state: NodeState | null; nodeReachable: boolean }) {
  const coordinator = props.state?.coordinator;
  const connected = props.nodeReachable && coordinator?.connected === true;
  return (
    <header className="app-header">
      <h1 className="brand">Offpeak</h1>
      {props.state && coordinator && (
        <div className="header-facts">
          <span className="coordinator" data-testid="coordinator" title={coordinator.url}>
            <span className={`dot small ${connected ? "dot-ready" : "dot-off"}`} aria-hidden="true" />
            {!props.nodeReachable ? "Network status unknown" : connected ? "Connected to the network" : "Not connected to the network"}
          </span>
          <span className="address" title={props.state.address}>
            Wallet {shortAddress(props.state.address)}
          </span>
        </div>
      )}
    </header>
  );
}
