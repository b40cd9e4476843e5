/** Earnings per hour (24 h) or per day (7 d, 30 d) as a bar chart, with a one-line summary. */
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { EarningsView } from "../../../shared/earnings-view";
import { formatUsd } from "../../../shared/money";

type Series = EarningsView["series"];

function bucketLabel(start: number, unit: Series["unit"]): string {
  const at = new Date(start);
  return unit === "hour"
    ? at.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
    : at.toLocaleDateString(undefined, { month: "short", day: "numeric" });
}

/** Axis labels short but distinct: "$1.25", "$0.015", "$0.00042". */
function axisUsd(microUsd: number): string {
  const usd = microUsd / 1_000_000;
  if (usd === 0) return "$0";
  const decimals = usd >= 0.1 ? 2 : usd >= 0.001 ? 3 : 6;
  return `$${usd.toFixed(decimals).replace(/(\.\d*?[1-9])0+$|\.0+$/, "$1")}`;
}

export function EarningsChart(props: { series: Series; periodLabel: string }) {
  const { series } = props;
  const total = series.points.reduce((sum, p) => sum + p.microUsd, 0);
  const jobs = series.points.reduce((sum, p) => sum + p.jobs, 0);
  const data = series.points.map((p) => ({ label: bucketLabel(p.start, series.unit), microUsd: p.microUsd, jobs: p.jobs }));
  return (
    <section className="card wide" aria-labelledby="chart-heading">
      <h2 id="chart-heading">{series.unit === "hour" ? "Per hour" : "Per day"}</h2>
      <p className="chart-summary" data-testid="chart-summary">
        {total === 0 ? `Nothing earned in the ${props.periodLabel}.` : `${formatUsd(total)} earned in the ${props.periodLabel}, from ${jobs} ${jobs === 1 ? "job" : "jobs"}.`}
      </p>
      {series.points.length > 0 && (
        <figure className="earnings-chart" data-testid="earnings-chart" aria-label={`Earnings per ${series.unit}, ${props.periodLabel}`}>
          <ResponsiveContainer width="100%" height={220}>
            <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 8 }}>
              <CartesianGrid vertical={false} stroke="var(--border)" />
              <XAxis dataKey="label" tick={{ fill: "var(--muted)", fontSize: 12 }} interval="preserveStartEnd" minTickGap={16} />
              <YAxis tickFormatter={axisUsd} tick={{ fill: "var(--muted)", fontSize: 12 }} width={64} allowDecimals={false} />
              <Tooltip
                formatter={(value) => [formatUsd(Number(value)), "Earned"]}
                labelFormatter={(label, payload) => `${String(label)} · ${payload?.[0]?.payload?.jobs ?? 0} jobs`}
                contentStyle={{ background: "var(--surface)", border: "1px solid var(--border)", borderRadius: 8 }}
              />
              <Bar dataKey="microUsd" fill="var(--earning)" radius={[3, 3, 0, 0]} isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        </figure>
      )}
    </section>
  );
}
