/** The curated catalog: each model with its verdict for this machine, why, and a Download button. */
import type { CatalogModelView, DownloadProgress, ModelVerdict } from "../../shared/control-api";
import { formatBytes } from "../format";

const VERDICT_LABELS: Record<ModelVerdict, string> = {
  fits: "Fits",
  "fits-slowly": "Fits slowly on CPU",
  "does-not-fit": "Does not fit",
};

export function ModelCatalog(props: {
  catalog: readonly CatalogModelView[];
  downloads: readonly DownloadProgress[];
  busy: string | null;
  disabled: boolean;
  onDownload(model: CatalogModelView): void;
}) {
  const downloading = new Set(props.downloads.filter((d) => d.state === "downloading" || d.state === "verifying").map((d) => d.name));
  return (
    <section className="card" aria-labelledby="catalog-heading">
      <h2 id="catalog-heading">Catalog</h2>
      {props.catalog.length === 0 ? (
        <p className="empty">The catalog is empty.</p>
      ) : (
        <ul className="rows">
          {props.catalog.map((model) => (
            <li key={model.id} className="model-row" data-testid="catalog-model">
              <div className="model-info">
                <div className="row-head">
                  <span className="row-title">{model.name}</span>
                  <span className={`pill verdict verdict-${model.verdict}`} data-testid="verdict">
                    {VERDICT_LABELS[model.verdict]}
                  </span>
                </div>
                <p className="verdict-reason" data-testid="verdict-reason">
                  {model.verdictReason}
                </p>
                <p className="muted">
                  {formatBytes(model.sizeBytes)} download · {model.quantization} · needs {formatBytes(model.minMemoryBytes)} of memory · {model.licence}
                </p>
              </div>
              <div className="row-actions">
                {model.installed ? (
                  <span className="muted">Installed</span>
                ) : downloading.has(model.name) ? (
                  <span className="muted">Downloading…</span>
                ) : (
                  <button
                    type="button"
                    className={model.verdict === "does-not-fit" ? "button" : "button primary"}
                    disabled={props.disabled || props.busy === `pull:${model.id}`}
                    onClick={() => props.onDownload(model)}
                    aria-label={`Download ${model.name}`}
                  >
                    Download
                  </button>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
