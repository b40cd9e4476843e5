/**
 * Models: downloads in progress, the models on this machine (Use, Delete with a confirmation),
 * the catalog with a verdict for this machine, and a field to download from an address.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import type { CatalogModelView, InstalledModelView, NodeState, Result } from "../../shared/control-api";
import { ConfirmDialog } from "../components/confirm-dialog";
import { DownloadList } from "../components/download-list";
import { InstalledModels } from "../components/installed-models";
import { ModelCatalog } from "../components/model-catalog";
import { PullForm } from "../components/pull-form";
import { StatusMessage } from "../components/status-message";
import { formatBytes } from "../format";
import { useLoader } from "../use-loader";
import { useNodeStateStore } from "../use-node-state";

export function ModelsPage(props: { state: NodeState; connected: boolean }) {
  const { state, connected } = props;
  const store = useNodeStateStore();
  const list = useCallback(() => store.api.listModels(), [store]);
  const { loaded, reload } = useLoader(list);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<InstalledModelView | null>(null);

  // The list changes when a download finishes or another model is served: read it again then.
  const changeKey = `${state.downloads.filter((d) => d.state === "done").map((d) => d.id).join(",")}|${state.model?.id ?? ""}`;
  const lastKey = useRef(changeKey);
  useEffect(() => {
    if (lastKey.current === changeKey) return;
    lastKey.current = changeKey;
    reload();
  }, [changeKey, reload]);

  /** Runs one action, showing its error or its success notice, and refreshes the list. */
  async function act(key: string, run: () => Promise<Result<unknown>>, success: string): Promise<boolean> {
    setBusy(key);
    setError(null);
    setNotice(null);
    const result = await run();
    setBusy(null);
    if (!result.ok) {
      setError(result.error);
      return false;
    }
    setNotice(success);
    reload();
    return true;
  }

  const download = (model: CatalogModelView) => void act(`pull:${model.id}`, () => store.api.pullModel(model.id), `Downloading ${model.name}.`);
  const pull = (ref: string) => act(`pull:${ref}`, () => store.api.pullModel(ref), "Download started.");
  const cancel = (id: string) => void act(`cancel:${id}`, () => store.api.cancelDownload(id), "Download cancelled.");
  const use = (model: InstalledModelView) => void act(`use:${model.id}`, () => store.useModel(model.id), `Now serving ${model.name}.`);
  const confirmDelete = () => {
    const model = deleting;
    setDeleting(null);
    if (model !== null) void act(`delete:${model.id}`, () => store.api.removeModel(model.id), `Deleted ${model.name}.`);
  };
  const cancelDelete = useCallback(() => setDeleting(null), []);

  return (
    <div className="models-page">
      <div className="page-head">
        <h2 id="page-title" className="page-title" tabIndex={-1}>
          Models
        </h2>
        <p className="muted">Choose what this machine serves. Each model shows whether it fits here.</p>
      </div>
      <div aria-live="polite">
        {error !== null && (
          <p className="form-error" role="alert" data-testid="models-error">
            {error}
          </p>
        )}
        {notice !== null && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
      </div>
      <DownloadList downloads={state.downloads} busy={busy} onCancel={cancel} />
      {loaded.status === "loading" && <StatusMessage kind="loading" title="Loading models…" />}
      {loaded.status === "error" && (
        <StatusMessage kind="error" title="Could not list the models">
          {loaded.error}{" "}
          <button type="button" className="button small" onClick={reload}>
            Try again
          </button>
        </StatusMessage>
      )}
      {loaded.status === "ready" && (
        <>
          <InstalledModels models={loaded.value.installed} busy={busy} disabled={!connected} onUse={use} onDelete={setDeleting} />
          <ModelCatalog catalog={loaded.value.catalog} downloads={state.downloads} busy={busy} disabled={!connected} onDownload={download} />
        </>
      )}
      <PullForm disabled={!connected} onPull={pull} />
      {deleting !== null && (
        <ConfirmDialog title={`Delete ${deleting.name}?`} confirmLabel="Delete" tone="danger" onConfirm={confirmDelete} onCancel={cancelDelete}>
          <p>
            This removes the file ({formatBytes(deleting.bytes)}) from this machine. You can download it again later.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
