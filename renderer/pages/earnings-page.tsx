/**
 * Earnings: the balances (available, pending, held, withdrawn, lifetime), what the node earns
 * right now, a chart of the last 24 hours, 7 or 30 days, every job of the period with its
 * receipt, and every difference between this node's receipts and the coordinator's records.
 * Reloads when a credit arrives or a withdrawal moves the balance.
 */
import { useCallback, useEffect, useId, useRef, useState } from "react";
import type { NodeState } from "../../shared/control-api";
import type { EarningsRange, EarningsView } from "../../shared/earnings-view";
import { BalanceCards } from "../components/earnings/balance-cards";
import { EarningsChart } from "../components/earnings/earnings-chart";
import { EarningsJobsTable } from "../components/earnings/earnings-jobs-table";
import { LiveRatePanel } from "../components/earnings/live-rate-panel";
import { ReconciliationPanel } from "../components/earnings/reconciliation-panel";
import { StatusMessage } from "../components/status-message";
import { useNodeStateStore } from "../use-node-state";
import "../earnings.css";

const RANGES: readonly { readonly range: EarningsRange; readonly label: string; readonly period: string }[] = [
  { range: "24h", label: "24 h", period: "last 24 hours" },
  { range: "7d", label: "7 d", period: "last 7 days" },
  { range: "30d", label: "30 d", period: "last 30 days" },
];

type View =
  | { readonly status: "loading" }
  | { readonly status: "error"; readonly error: string }
  | { readonly status: "ready"; readonly value: EarningsView; readonly refreshError: string | null };

function RangePicker(props: { range: EarningsRange; onChange(range: EarningsRange): void }) {
  const name = useId();
  return (
    <div className="range-picker" role="radiogroup" aria-label="Period">
      {RANGES.map((entry) => (
        <label key={entry.range} className={entry.range === props.range ? "range-option checked" : "range-option"}>
          <input type="radio" name={name} value={entry.range} checked={entry.range === props.range} onChange={() => props.onChange(entry.range)} />
          {entry.label}
        </label>
      ))}
    </div>
  );
}

export function EarningsPage(props: { state: NodeState; connected: boolean }) {
  const store = useNodeStateStore();
  const [range, setRange] = useState<EarningsRange>("24h");
  const [view, setView] = useState<View>({ status: "loading" });
  const latest = useRef(0);

  const load = useCallback(
    async (wanted: EarningsRange, fresh: boolean) => {
      const run = ++latest.current;
      if (fresh) setView({ status: "loading" });
      const result = await store.api.getEarnings(wanted).catch((error: unknown) => ({ ok: false as const, error: String(error) }));
      if (run !== latest.current) return;
      setView((previous) => {
        if (result.ok) return { status: "ready", value: result.value, refreshError: null };
        // A failed refresh keeps the figures on screen and says why they are not newer.
        if (previous.status === "ready" && !fresh) return { ...previous, refreshError: result.error };
        return { status: "error", error: result.error };
      });
    },
    [store],
  );

  useEffect(() => {
    void load(range, true);
    return () => {
      latest.current += 1;
    };
  }, [load, range]);

  // A credit (or a job), or a withdrawal that moved the balance, changes the figures: load them
  // again, keeping the current ones on screen.
  const { jobsServed, balanceMicroUsd } = props.state.earnings;
  const shown = useRef({ jobsServed, balanceMicroUsd });
  const rangeNow = useRef(range);
  rangeNow.current = range;
  useEffect(() => {
    if (jobsServed === shown.current.jobsServed && balanceMicroUsd === shown.current.balanceMicroUsd) return;
    shown.current = { jobsServed, balanceMicroUsd };
    void load(rangeNow.current, false);
  }, [jobsServed, balanceMicroUsd, load]);

  const period = RANGES.find((r) => r.range === range)?.period ?? "period";
  const terms = view.status === "ready" && view.value.coordinator ? { outputMicroUsdPerMTok: view.value.coordinator.price.outputMicroUsdPerMTok, feeBps: view.value.coordinator.feeBps } : null;
  return (
    <div className="earnings-page">
      <div className="page-head page-head-row">
        <div>
          <h2 id="page-title" className="page-title" tabIndex={-1}>
            Earnings
          </h2>
          <LiveRatePanel job={props.state.currentJob} terms={terms} />
        </div>
        <div className="earnings-actions">
          <RangePicker range={range} onChange={setRange} />
          <button type="button" className="button" disabled={!props.connected} onClick={() => void load(range, false)}>
            Refresh
          </button>
        </div>
      </div>
      {view.status === "loading" && <StatusMessage kind="loading" title="Asking the coordinator for your earnings…" />}
      {view.status === "error" && (
        <StatusMessage kind="error" title="Could not load your earnings">
          {view.error}{" "}
          <button type="button" className="button small" disabled={!props.connected} onClick={() => void load(range, true)}>
            Try again
          </button>
        </StatusMessage>
      )}
      {view.status === "ready" && (
        <div className="grid">
          {view.refreshError !== null && (
            <p className="form-error wide" role="alert" data-testid="earnings-refresh-error">
              Could not refresh: {view.refreshError}
            </p>
          )}
          {view.value.coordinator !== null && <BalanceCards coordinator={view.value.coordinator} />}
          <ReconciliationPanel view={view.value} />
          {view.value.coordinator !== null && <EarningsChart series={view.value.series} periodLabel={period} />}
          <EarningsJobsTable view={view.value} />
        </div>
      )}
    </div>
  );
}
