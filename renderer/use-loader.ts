/** Loads something from the agent once and on demand, with its loading and error states. */
import { useCallback, useEffect, useRef, useState } from "react";
import type { Result } from "../shared/control-api";

export type Loaded<T> =
  | { readonly status: "loading" }
  | { readonly status: "error"; readonly error: string }
  | { readonly status: "ready"; readonly value: T };

/**
 * Calls `load` on mount; `reload()` calls it again, keeping the shown value while it runs.
 * `replace` sets the value directly (from a call that answered with it).
 */
export function useLoader<T>(load: () => Promise<Result<T>>): {
  readonly loaded: Loaded<T>;
  reload(): void;
  replace(value: T): void;
} {
  const [loaded, setLoaded] = useState<Loaded<T>>({ status: "loading" });
  const latest = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  const reload = useCallback(() => {
    const run = ++latest.current;
    setLoaded((previous) => (previous.status === "error" ? { status: "loading" } : previous));
    loadRef
      .current()
      .then(
        (result) => (result.ok ? ({ status: "ready", value: result.value } as const) : ({ status: "error", error: result.error } as const)),
        (error: unknown) => ({ status: "error", error: String(error) }) as const,
      )
      .then((next) => {
        if (run !== latest.current) return;
        // A failed refresh keeps what is shown; only a first load shows the error page.
        setLoaded((previous) => (next.status === "error" && previous.status === "ready" ? previous : next));
      });
  }, []);

  const replace = useCallback((value: T) => {
    latest.current += 1;
    setLoaded({ status: "ready", value });
  }, []);

  useEffect(() => {
    reload();
    return () => {
      latest.current += 1;
    };
  }, [reload]);

  return { loaded, reload, replace };
}
