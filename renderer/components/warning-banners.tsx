/** The agent's warnings (`state.warnings`), each an alert shown above every page. */

export function WarningBanners(props: { warnings: readonly string[] }) {
  if (props.warnings.length === 0) return null;
  return (
    <div className="warnings">
      {props.warnings.map((warning) => (
        <p key={warning} className="banner banner-warning" role="alert" data-testid="warning">
          <span className="banner-icon" aria-hidden="true">
            !
          </span>
          <span>{warning}</span>
        </p>
      ))}
    </div>
  );
}
