/** The models on this machine, with the one in use marked, and Use and Delete buttons. */
import type { InstalledModelView } from "../../shared/control-api";
import { formatBytes } from "../format";

export function InstalledModels(props: {
  models: readonly InstalledModelView[];
  busy: string | null;
  disabled: boolean;
  onUse(model: InstalledModelView): void;
  onDelete(model: InstalledModelView): void;
}) {
  return (
    <section className="card" aria-labelledby="installed-heading">
      <h2 id="installed-heading">On this machine</h2>
      {props.models.length === 0 ? (
        <p className="empty" data-testid="installed-empty">
          No models on this machine yet. Download one from the catalog below.
        </p>
      ) : (
        <ul className="rows">
          {props.models.map((model) => (
            <li key={model.id} className="model-row" data-testid="installed-model">
              <div className="model-info">
                <div className="row-head">
                  <span className="row-title">{model.name}</span>
                  {model.active && <span className="pill pill-active">in use</span>}
                  {model.demo && <span className="pill pill-demo">demo, random weights</span>}
                </div>
                <p className="muted">
                  {formatBytes(model.bytes)} · <span className="path">{model.path}</span>
                </p>
              </div>
              <div className="row-actions">
                <button
                  type="button"
                  className="button"
                  disabled={props.disabled || model.active || props.busy !== null}
                  onClick={() => props.onUse(model)}
                  aria-label={model.active ? `${model.name} is in use` : `Use ${model.name}`}
                >
                  {props.busy === `use:${model.id}` ? "Switching…" : "Use"}
                </button>
                <button
                  type="button"
                  className="button danger-outline"
                  disabled={props.disabled || model.active || props.busy !== null}
                  title={model.active ? "The model in use cannot be deleted. Use another one first." : undefined}
                  onClick={() => props.onDelete(model)}
                  aria-label={`Delete ${model.name}`}
                >
                  Delete
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
