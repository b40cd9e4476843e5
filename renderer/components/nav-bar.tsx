/** The page links under the header: plain links to hash routes, the current one marked. */
import { ROUTES, type Route } from "../routes";

export function NavBar(props: { route: Route; downloads: number }) {
  return (
    <nav className="nav" aria-label="Pages">
      <ul>
        {ROUTES.map((entry) => (
          <li key={entry.route}>
            <a href={entry.href} className="nav-link" aria-current={props.route === entry.route ? "page" : undefined}>
              {entry.label}
              {entry.route === "models" && props.downloads > 0 && (
                <span className="nav-count" aria-label={`${props.downloads} downloading`}>
                  {props.downloads}
                </span>
              )}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
