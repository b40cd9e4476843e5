/** Full-page loading and error states, and the banner shown while the connection is lost. */
import type { ReactNode } from "react";

export function StatusMessage(props: { kind: "loading" | "error"; title: string; children?: ReactNode }) {
  return (
    <section className={`status-message ${props.kind}`} role={props.kind === "error" ? "alert" : "status"} data-testid={props.kind}>
      {props.kind === "loading" && <span className="spinner" aria-hidden="true" />}
      <h2>{props.title}</h2>
      {props.children && <p>{props.children}</p>}
    </section>
  );
}

export function DisconnectedBanner() {
  return (
    <p className="banner" role="status" data-testid="disconnected">
      Lost the connection to the node. Reconnecting… The figures below may be out of date.
    </p>
  );
}
