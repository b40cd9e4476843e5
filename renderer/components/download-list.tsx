/** Downloads in progress or just ended: a progress bar, bytes, speed, time left, Cancel. */
import type { DownloadProgress } from "../../shared/control-api";
import { formatBytes, formatDuration, formatSpeed } from "../format";

const STATE_LABELS: Record<DownloadProgress["state"], string> = {
  downloading: "Downloading",
  verifying: "Checking the file",
  done: "Done",
  failed: "Failed",
  cancelled: "Cancelled",
};

/** Whole percent received, or null while the size is unknown. */
export function downloadPercent(download: DownloadProgress): number | null {
  if (download.state === "done") return 100;
  if (download.totalBytes === null || download.totalBytes === 0) return null;
  return Math.min(100, Math.floor((download.receivedBytes * 100) / download.totalBytes));
}

/** "1.2 GB of 4.1 GB · 12 MB/s · 3 min left". */
function progressText(d: DownloadProgress): string {
  const bytes = d.totalBytes === null ? `${formatBytes(d.receivedBytes)} so far` : `${formatBytes(d.receivedBytes)} of ${formatBytes(d.totalBytes)}`;
  if (d.state === "done") return `${formatBytes(d.totalBytes ?? d.receivedBytes)}, ready to use`;
  if (d.state === "cancelled") return `${bytes}. The part already received is kept; download it again to resume.`;
  if (d.state !== "downloading") return bytes;
  const parts = [bytes];
  if (d.bytesPerSecond > 0) parts.push(formatSpeed(d.bytesPerSecond));
  if (d.etaSeconds !== null) parts.push(`${formatDuration(d.etaSeconds)} left`);
  return parts.join(" · ");
}

function DownloadRow(props: { download: DownloadProgress; busy: boolean; onCancel(id: string): void }) {
  const d = props.download;
  const percent = downloadPercent(d);
  const active = d.state === "downloading" || d.state === "verifying";
  return (
    <li className={`download download-${d.state}`} data-testid="download">
      <div className="row-head">
        <span className="row-title">{d.name}</span>
        <span className={`state-badge state-${d.state}`} data-testid="download-state">
          {STATE_LABELS[d.state]}
        </span>
      </div>
      <div
        className={percent === null && active ? "progress indeterminate" : "progress"}
        role="progressbar"
        aria-label={`Download of ${d.name}`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent ?? undefined}
        aria-valuetext={percent === null ? `${formatBytes(d.receivedBytes)} received` : `${percent}%`}
      >
        <div className="progress-fill" style={{ width: `${percent ?? (active ? 100 : 0)}%` }} />
      </div>
      <div className="row-foot">
        <span className="muted" data-testid="download-progress">
          {percent !== null && d.state !== "done" && `${percent}% · `}
          {progressText(d)}
        </span>
        {active && (
          <button type="button" className="button small" disabled={props.busy} onClick={() => props.onCancel(d.id)} aria-label={`Cancel download of ${d.name}`}>
            Cancel
          </button>
        )}
      </div>
      {d.state === "failed" && (
        <p className="error-text" data-testid="download-error">
          {d.error ?? "The download failed."}
        </p>
      )}
    </li>
  );
}

export function DownloadList(props: { downloads: readonly DownloadProgress[]; busy: string | null; onCancel(id: string): void }) {
  if (props.downloads.length === 0) return null;
  return (
    <section className="card" aria-labelledby="downloads-heading">
      <h2 id="downloads-heading">Downloads</h2>
      <ul className="rows">
        {props.downloads.map((d) => (
          <DownloadRow key={d.id} download={d} busy={props.busy === `cancel:${d.id}`} onCancel={props.onCancel} />
        ))}
      </ul>
    </section>
  );
}
