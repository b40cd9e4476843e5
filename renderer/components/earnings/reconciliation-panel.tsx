/**
 * What comparing this node's receipts with the coordinator's records found: every difference in
 * a sentence, or that the two agree; never hidden.
 */
import type { EarningsView } from "../../../shared/earnings-view";

export function ReconciliationPanel(props: { view: EarningsView }) {
  const { reconciliation, coordinatorError } = props.view;
  const problems = reconciliation.missingAtCoordinator + reconciliation.missingLocally + reconciliation.differences + reconciliation.damagedLines;
  return (
    <section className="card wide" aria-labelledby="reconciliation-heading" data-testid="reconciliation">
      <h2 id="reconciliation-heading">Your receipts and the coordinator&apos;s records</h2>
      {coordinatorError !== null && (
        <p className="form-error" role="alert" data-testid="coordinator-error">
          Could not reach the coordinator: {coordinatorError}. Showing the receipts this node signed.
        </p>
      )}
      {reconciliation.notes.length === 0 ? (
        <p className="verdict verdict-ok" data-testid="reconciliation-agree">
          {reconciliation.signed === 0 ? "No receipts signed in this period." : `All ${reconciliation.signed} receipts signed in this period are credited.`}
        </p>
      ) : (
        <ul className={problems > 0 ? "sentences reconciliation-problems" : "sentences"} aria-label="Findings">
          {reconciliation.notes.map((note) => (
            <li key={note} data-testid="reconciliation-note">
              {note}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
