/** Today's earnings and the balance, formatted from integer micro-USD. */
import type { NodeState } from "../../shared/control-api";
import { formatUsd } from "../../shared/money";

export function EarningsPanel(props: { earnings: NodeState["earnings"] }) {
  const { earnings } = props;
  return (
    <section className="card" aria-labelledby="earnings-heading">
      <h2 id="earnings-heading">Earnings</h2>
      <div className="figures">
        <div className="figure">
          <span className="figure-label">Today</span>
          <span className="figure-value big" data-testid="earnings-today">
            {formatUsd(earnings.todayMicroUsd)}
          </span>
        </div>
        <div className="figure">
          <span className="figure-label">Balance</span>
          <span className="figure-value big" data-testid="balance">
            {formatUsd(earnings.balanceMicroUsd)}
          </span>
        </div>
      </div>
      <p className="muted" data-testid="jobs-served">
        {earnings.jobsServed === 1 ? "1 job served" : `${earnings.jobsServed} jobs served`}
      </p>
    </section>
  );
}
