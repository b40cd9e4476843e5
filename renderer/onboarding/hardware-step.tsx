/** Setup step: a plain verdict on this machine, and the facts it rests on. */
import type { CatalogModelView, NodeState } from "../../shared/control-api";
import { HardwarePanel } from "../components/hardware-panel";
import { StatusMessage } from "../components/status-message";
import type { Loaded } from "../use-loader";
import { hardwareVerdict } from "./onboarding-model";

export function HardwareStep(props: { state: NodeState; catalog: Loaded<readonly CatalogModelView[]>; onRetry(): void }) {
  if (props.catalog.status === "error") {
    return (
      <StatusMessage kind="error" title="Could not check which models fit">
        {props.catalog.error}{" "}
        <button type="button" className="button small" onClick={props.onRetry}>
          Try again
        </button>
      </StatusMessage>
    );
  }
  const verdict = hardwareVerdict(props.state.hardware, props.catalog.status === "ready" ? props.catalog.value : null);
  return (
    <>
      <div className={`verdict-box verdict-${verdict.tone}`} role="status" data-testid="hardware-verdict">
        {verdict.tone === "unknown" && <span className="spinner" aria-hidden="true" />}
        <p className="verdict-title">{verdict.title}</p>
        <p className="verdict-detail">{verdict.detail}</p>
      </div>
      <HardwarePanel hardware={props.state.hardware} />
    </>
  );
}
