/** The page the window shows, following the address's fragment (`#/models`). */
import { useSyncExternalStore } from "react";
import { routeFromHash, type Route } from "./routes";

function subscribe(listener: () => void): () => void {
  window.addEventListener("hashchange", listener);
  return () => window.removeEventListener("hashchange", listener);
}

/** The current route; re-renders when the fragment changes (links, back and forward). */
export function useRoute(): Route {
  return useSyncExternalStore(subscribe, () => routeFromHash(window.location.hash));
}
