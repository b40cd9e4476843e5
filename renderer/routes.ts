/**
 * The window's pages as hash routes (`#/`, `#/earnings`, `#/schedule`, `#/models`, `#/wallet`, `#/settings`, `#/diagnostics`), and reading the session
 * token that a dashboard link carries in the same fragment (`#token=…`, or `#/models?token=…`).
 */

export type Route = "dashboard" | "schedule" | "models" | "settings" | "diagnostics" | "wallet" | "welcome" | "earnings";

/** The pages in the order the navigation shows them. */
export const ROUTES: readonly { readonly route: Route; readonly href: string; readonly label: string }[] = [
  { route: "dashboard", href: "#/", label: "Dashboard" },
  { route: "earnings", href: "#/earnings", label: "Earnings" },
  { route: "schedule", href: "#/schedule", label: "Schedule" },
  { route: "models", href: "#/models", label: "Models" },
  { route: "wallet", href: "#/wallet", label: "Wallet" },
  { route: "settings", href: "#/settings", label: "Settings" },
  { route: "diagnostics", href: "#/diagnostics", label: "Diagnostics" },
];

// "welcome" is the first-run setup: shown by itself on first run, and from Settings; not in the navigation.
const NAMED: ReadonlySet<string> = new Set(["schedule", "models", "settings", "diagnostics", "wallet", "welcome", "earnings"]);

/** A fragment split into its route path ("/models", or "" for none) and its token, if any. */
export function readHash(hash: string): { readonly path: string; readonly token: string | null } {
  const body = hash.startsWith("#") ? hash.slice(1) : hash;
  let path = "";
  let query = body;
  if (body.startsWith("/")) {
    const q = body.indexOf("?");
    path = q === -1 ? body : body.slice(0, q);
    query = q === -1 ? "" : body.slice(q + 1);
  }
  const token = new URLSearchParams(query).get("token");
  return { path, token: token !== null && token.length > 0 ? token : null };
}

/** The page a fragment names; anything unknown is the Dashboard. */
export function routeFromHash(hash: string): Route {
  const { path } = readHash(hash);
  const name = path.replace(/^\/+|\/+$/g, "");
  return NAMED.has(name) ? (name as Route) : "dashboard";
}

/** The fragment to keep once the token is taken out of it ("#/models", or "" for the Dashboard). */
export function hashWithoutToken(hash: string): string {
  const { path } = readHash(hash);
  return path === "" || path === "/" ? "" : `#${path}`;
}
