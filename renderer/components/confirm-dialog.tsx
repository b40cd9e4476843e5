/**
 * A modal question with a confirm and a cancel button, on the native <dialog>: focus stays
 * inside, Escape cancels, and focus returns to where it was when it closes.
 */
import { useId, type ReactNode } from "react";
import { useModalDialog } from "../use-modal-dialog";

export function ConfirmDialog(props: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  /** "danger" for destructive or risky answers. */
  tone?: "danger" | "normal";
  onConfirm(): void;
  onCancel(): void;
}) {
  const ref = useModalDialog(props.onCancel);
  const titleId = useId();
  const bodyId = useId();

  return (
    <dialog ref={ref} className="dialog" aria-labelledby={titleId} aria-describedby={bodyId}>
      <h2 id={titleId}>{props.title}</h2>
      <div id={bodyId} className="dialog-body">
        {props.children}
      </div>
      <div className="dialog-actions">
        <button type="button" className="button" onClick={props.onCancel} autoFocus>
          Cancel
        </button>
        <button type="button" className={props.tone === "danger" ? "button danger" : "button primary"} onClick={props.onConfirm}>
          {props.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
