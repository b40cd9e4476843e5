/**
 * Diagnostics — "Why am I not getting jobs?": what this machine says about itself (its rules,
 * the Share switch, model, worker, sandbox) and what the coordinator sees (demand for the model,
 * other nodes, the queue, its notes), with Refresh; and, while the node is quarantined, the
 * owner's appeal (appeal-card.tsx).
 */
import { useCallback, useEffect, useRef, useState } from "react";
import type { Diagnostics, NodeState } from "../../shared/control-api";
import { StatusMessage } from "../components/status-message";
import { AppealCard } from "../components/appeal-card";
import { nodeProblems } from "../diagnostics-problems";
import { useNodeStateStore } from "../use-node-state";

type View =
  | { readonly status: "loading" }
  | { readonly status: "error"; readonly error: string }
  | { readonly status: "ready"; readonly value: Diagnostics; readonly checkedAt: number; readonly refreshError: string | null };

const yesNo = (value: boolean) => (value ? "Yes" : "No");
const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

function NodeCard(props: { state: NodeState; diagnostics: Diagnostics }) {
  const { state, diagnostics } = props;
  // The headline already says the node's reason; the list gives the rest.
  const headline = diagnostics.node.reason.toLowerCase();
  const problems = nodeProblems(state).filter((problem) => !problem.toLowerCase().includes(headline));
  const clear = diagnostics.node.share && problems.length === 0;
  return (
    <section className="card" aria-labelledby="node-view-heading" data-testid="node-view">
      <h2 id="node-view-heading">This machine</h2>
      <p className={`verdict ${clear ? "verdict-ok" : "verdict-blocked"}`} data-testid="node-verdict">
        <span className={`dot small ${clear ? "dot-ready" : "dot-paused"}`} aria-hidden="true" />
        {diagnostics.node.reason}
      </p>
      {problems.length === 0 ? (
        diagnostics.node.share && (
          <p className="muted" data-testid="node-problems-none">
            Nothing on this machine keeps jobs away: sharing is on, a model is loaded and the worker is ready.
          </p>
        )
      ) : (
        <ul className="sentences" data-testid="node-problems">
          {problems.map((problem) => (
            <li key={problem}>{problem}</li>
          ))}
        </ul>
      )}
    </section>
  );
}

function CoordinatorCard(props: { view: NonNullable<Diagnostics["coordinator"]>; model: string | null }) {
  const { view } = props;
  const model = props.model ?? "this node's model";
  return (
    <section className="card" aria-labelledby="network-view-heading" data-testid="network-view">
      <h2 id="network-view-heading">What the network sees</h2>
      <dl className="facts diagnostics-facts">
        <dt>Connected</dt>
        <dd data-testid="diag-connected">{yesNo(view.connected)}</dd>
        <dt>Seen as sharing</dt>
        <dd data-testid="diag-seen-sharing">{yesNo(view.seenSharing)}</dd>
        <dt>Jobs for {model}, last hour</dt>
        <dd data-testid="diag-jobs">{count(view.jobsLastHour, "job", "jobs")} on the network</dd>
        <dt>Served by this node</dt>
        <dd data-testid="diag-served">{count(view.servedLastHour, "job", "jobs")}</dd>
        <dt>Other nodes serving it</dt>
        <dd data-testid="diag-other-nodes">{view.otherNodes}</dd>
        <dt>Waiting in the queue</dt>
        <dd data-testid="diag-queued">{count(view.queued, "job", "jobs")}</dd>
      </dl>
      {view.quarantine && (
        <p className="form-error" role="alert" data-testid="diag-quarantine">
          Quarantined since {new Date(view.quarantine.since).toLocaleString()}: {view.quarantine.reason}. The network sends this machine no
          jobs and holds its pending earnings.
        </p>
      )}
      {view.notes.length > 0 && (
        <ul className="sentences notes" aria-label="Notes from the network">
          {view.notes.map((note) => (
            <li key={note} data-testid="diagnostics-note">
              {note}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function DiagnosticsPage(props: { state: NodeState; connected: boolean }) {
  const store = useNodeStateStore();
  const [view, setView] = useState<View>({ status: "loading" });
  const [refreshing, setRefreshing] = useState(false);
  const latest = useRef(0);

  const load = useCallback(async () => {
    const run = ++latest.current;
    setRefreshing(true);
    const result = await store.api.getDiagnostics().catch((error: unknown) => ({ ok: false as const, error: String(error) }));
    if (run !== latest.current) return;
    setRefreshing(false);
    setView((previous) => {
      if (result.ok) return { status: "ready", value: result.value, checkedAt: Date.now(), refreshError: null };
      // A failed refresh keeps the last answer on screen and says why it is not newer.
      if (previous.status === "ready") return { ...previous, refreshError: result.error };
      return { status: "error", error: result.error };
    });
  }, [store]);

  useEffect(() => {
    void load();
    return () => {
      latest.current += 1;
    };
  }, [load]);

  return (
    <div className="diagnostics-page">
      <div className="page-head page-head-row">
        <div>
          <h2 id="page-title" className="page-title" tabIndex={-1}>
            Why am I not getting jobs?
          </h2>
          <p className="muted">
            {view.status === "ready" ? `Checked at ${new Date(view.checkedAt).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" })}.` : "What this machine and the network say."}
          </p>
        </div>
        <button type="button" className="button" disabled={!props.connected || refreshing} onClick={() => void load()}>
          {refreshing && view.status === "ready" ? "Checking…" : "Refresh"}
        </button>
      </div>
      {!props.connected && (
        <p className="hint" data-testid="diagnostics-offline">
          The dashboard lost the connection to the node; Refresh works again once it is back.
        </p>
      )}
      <AppealCard standing={props.state.standing} connected={props.connected} />
      {view.status === "loading" && <StatusMessage kind="loading" title="Asking the node and the network…" />}
      {view.status === "error" && (
        <StatusMessage kind="error" title="Could not run the diagnostics">
          {view.error}{" "}
          <button type="button" className="button small" onClick={() => void load()} disabled={!props.connected}>
            Try again
          </button>
        </StatusMessage>
      )}
      {view.status === "ready" && (
        <>
          {view.refreshError !== null && (
            <p className="form-error" role="alert" data-testid="diagnostics-refresh-error">
              Could not refresh: {view.refreshError}
            </p>
          )}
          <NodeCard state={props.state} diagnostics={view.value} />
          {view.value.coordinator === null ? (
            <section className="card" aria-labelledby="network-view-heading" data-testid="network-view">
              <h2 id="network-view-heading">What the network sees</h2>
              <p className="empty" data-testid="diagnostics-not-connected">
                This node is not connected to a coordinator, so the network cannot send it jobs or say what it sees. Check the
                network address in Settings and this machine&apos;s internet connection.
              </p>
            </section>
          ) : (
            <CoordinatorCard view={view.value.coordinator} model={props.state.model?.label ?? null} />
          )}
        </>
      )}
    </div>
  );
}
