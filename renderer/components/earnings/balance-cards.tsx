/** The node's money in five figures: available, pending, held, withdrawn, lifetime. */
import type { EarningsView } from "../../../shared/earnings-view";
import { formatUsd } from "../../../shared/money";
import { formatDuration } from "../../format";

type Coordinator = NonNullable<EarningsView["coordinator"]>;

function Card(props: { id: string; label: string; value: number; hint: string }) {
  return (
    <div className="balance-card" data-testid={`balance-${props.id}`}>
      <span className="figure-label" id={`balance-${props.id}-label`}>
        {props.label}
      </span>
      <span className="figure-value big" aria-labelledby={`balance-${props.id}-label`} data-testid={`balance-${props.id}-value`}>
        {formatUsd(props.value)}
      </span>
      <span className="balance-hint">{props.hint}</span>
    </div>
  );
}

export function BalanceCards(props: { coordinator: Coordinator }) {
  const { balances, hold, verificationWindowMs } = props.coordinator;
  return (
    <section className="card wide" aria-labelledby="balances-heading">
      <h2 id="balances-heading">Balances</h2>
      <div className="balance-cards">
        <Card id="available" label="Available" value={balances.availableMicroUsd} hint="Yours to withdraw" />
        <Card id="pending" label="Pending" value={balances.pendingMicroUsd} hint={`Available ${formatDuration(verificationWindowMs / 1000)} after each job`} />
        <Card id="held" label="Held" value={balances.heldMicroUsd} hint={hold ? `On hold: ${hold.reason}` : "Nothing on hold"} />
        <Card id="withdrawn" label="Withdrawn" value={balances.withdrawnMicroUsd} hint="Paid out so far, fees included" />
        <Card id="lifetime" label="Lifetime" value={balances.lifetimeMicroUsd} hint={`${formatUsd(balances.todayMicroUsd)} today (UTC)`} />
      </div>
    </section>
  );
}
