/** The model this node serves, flagged when it is the random-weight demo model. */
import type { NodeState } from "../../shared/control-api";

export function ModelPanel(props: { model: NodeState["model"]; demo: boolean }) {
  const { model } = props;
  return (
    <section className="card" aria-labelledby="model-heading">
      <h2 id="model-heading">Model</h2>
      {model ? (
        <>
          <p className="figure-value" data-testid="model">
            {model.label}
          </p>
          {(props.demo || model.demo) && (
            <p className="badge" data-testid="demo-model">
              demo model, random weights
            </p>
          )}
          <dl className="facts">
            <dt>Id</dt>
            <dd>{model.id}</dd>
            <dt>Context</dt>
            <dd>{model.contextSize.toLocaleString("en-US")} tokens</dd>
          </dl>
        </>
      ) : (
        <p className="empty" data-testid="model">
          No model loaded yet.
        </p>
      )}
    </section>
  );
}
