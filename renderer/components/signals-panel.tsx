/** The signals the sharing rules look at, as last sampled; unavailable ones say so. */
import type { NodeState } from "../../shared/control-api";
import { signalRows } from "../signal-rows";

export function SignalsPanel(props: { signals: NodeState["signals"] }) {
  const rows = signalRows(props.signals.latest, props.signals.available);
  return (
    <section className="card wide" aria-labelledby="signals-heading" data-testid="signals">
      <h2 id="signals-heading">Signals</h2>
      <dl className="facts signals">
        {rows.map((row) => (
          <div key={row.key} className="signal-row" data-testid={`signal-${row.key}`}>
            <dt>{row.label}</dt>
            <dd className={row.known ? undefined : "muted"}>{row.value}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
