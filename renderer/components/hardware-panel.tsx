/** The machine's processor, graphics, memory and the inference backend in use. */
import type { NodeState } from "../../shared/control-api";
import { backendLabel, formatBytes } from "../format";

export function HardwarePanel(props: { hardware: NodeState["hardware"] }) {
  const hw = props.hardware;
  return (
    <section className="card" aria-labelledby="hardware-heading">
      <h2 id="hardware-heading">Hardware</h2>
      {hw ? (
        <dl className="facts">
          <dt>Backend</dt>
          <dd>
            <span data-testid="backend">{backendLabel(hw.backend)}</span>
            {hw.backendReason !== "" && (
              <span className="fact-note" data-testid="backend-reason">
                {hw.backendReason}
              </span>
            )}
          </dd>
          <dt>CPU</dt>
          <dd>{hw.cpu}</dd>
          <dt>GPU</dt>
          <dd>{hw.gpu ?? "None used"}</dd>
          <dt>Memory</dt>
          <dd>
            {formatBytes(hw.memoryBytes)}
            {hw.vramBytes !== null && ` · ${formatBytes(hw.vramBytes)} video memory`}
          </dd>
        </dl>
      ) : (
        <p className="empty" data-testid="backend">
          Detecting hardware…
        </p>
      )}
    </section>
  );
}
