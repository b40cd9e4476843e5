/**
 * Opens a native <dialog> as a modal while the component is mounted: focus stays inside, Escape
 * calls `onCancel` (the dialog itself stays open until the owner unmounts it), and focus
 * returns to where it was when the dialog closes.
 */
import { useEffect, useRef, type RefObject } from "react";

export function useModalDialog(onCancel: () => void): RefObject<HTMLDialogElement | null> {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog === null) return;
    const returnTo = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!dialog.open) dialog.showModal();
    const cancel = (event: Event) => {
      event.preventDefault();
      onCancel();
    };
    dialog.addEventListener("cancel", cancel);
    return () => {
      dialog.removeEventListener("cancel", cancel);
      if (dialog.open) dialog.close();
      returnTo?.focus();
    };
  }, [onCancel]);
  return ref;
}
