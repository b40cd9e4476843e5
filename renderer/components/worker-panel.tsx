/** The inference worker: whether it runs inside the OS sandbox, and how it is doing. */
import type { NodeState, SandboxStatus, WorkerStatus } from "../../shared/control-api";

const SANDBOX_NAMES: Record<SandboxStatus["kind"], string> = {
  bubblewrap: "bubblewrap",
  "sandbox-exec": "macOS sandbox",
  "job-object": "Windows job object",
  none: "none",
};

const WORKER_LABELS: Record<WorkerStatus["state"], string> = {
  stopped: "Stopped",
  starting: "Starting",
  ready: "Ready",
  unloaded: "Model unloaded",
  restarting: "Restarting",
  quarantined: "Stopped after repeated crashes",
  failed: "Failed",
};

/** "Sandboxed (bubblewrap): no network, read-only code and models". */
export function sandboxLine(sandbox: SandboxStatus): string {
  const prefix = `${sandbox.kind}: `;
  const detail = sandbox.detail.toLowerCase().startsWith(prefix) ? sandbox.detail.slice(prefix.length) : sandbox.detail;
  if (sandbox.active) return `Sandboxed (${SANDBOX_NAMES[sandbox.kind]}): ${detail}`;
  return `Not sandboxed: ${detail}`;
}

export function WorkerPanel(props: { sandbox: NodeState["sandbox"]; worker: NodeState["worker"] }) {
  const { sandbox, worker } = props;
  const troubled = worker.state === "failed" || worker.state === "quarantined";
  return (
    <section className="card wide" aria-labelledby="worker-heading">
      <h2 id="worker-heading">Inference worker</h2>
      <dl className="facts">
        <dt>Sandbox</dt>
        <dd data-testid="sandbox" className={sandbox.active ? "ok-text" : "warning-text"}>
          <span className={`dot small ${sandbox.active ? "dot-earning" : "dot-error"}`} aria-hidden="true" /> {sandboxLine(sandbox)}
        </dd>
        <dt>Worker</dt>
        <dd data-testid="worker" className={troubled ? "warning-text" : undefined}>
          {WORKER_LABELS[worker.state]}
          {worker.reason !== null && worker.reason !== "" && <span className="muted">: {worker.reason}</span>}
        </dd>
      </dl>
    </section>
  );
}
