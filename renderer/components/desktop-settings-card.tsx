/**
 * Settings of the desktop app: start at login, which notifications to show, and where updates
 * come from. Each switch saves at once (the whole `desktop` object, as the page shows it).
 */
import { useId, useState, type FormEvent } from "react";
import type { DesktopSettings, NotificationSettings, Settings } from "../../shared/settings";
import "./desktop-settings.css";

const NOTIFICATIONS: readonly { key: keyof NotificationSettings; label: string }[] = [
  { key: "firstEarningsOfDay", label: "First earnings of the day" },
  { key: "pausedForGame", label: "Sharing paused for a game" },
  { key: "withdrawals", label: "Withdrawal confirmed or failed" },
];

function Switch(props: { label: string; checked: boolean; disabled: boolean; onToggle(): void }) {
  const id = useId();
  return (
    <div className="setting-row">
      <span id={id} className="share-label">
        {props.label}
      </span>
      <button type="button" role="switch" className="switch" aria-checked={props.checked} aria-labelledby={id} disabled={props.disabled} onClick={props.onToggle}>
        <span className="switch-thumb" aria-hidden="true" />
      </button>
    </div>
  );
}

export function DesktopSettingsCard(props: { settings: Settings; disabled: boolean; save(patch: Partial<Settings>, success: string): void }) {
  const desktop = props.settings.desktop;
  const [feed, setFeed] = useState(desktop.updateFeedUrl ?? "");
  const feedId = useId();
  const feedHint = useId();
  const put = (next: DesktopSettings, success: string) => props.save({ desktop: next }, success);

  function saveFeed(event: FormEvent): void {
    event.preventDefault();
    const url = feed.trim();
    put({ ...desktop, updateFeedUrl: url === "" ? null : url }, url === "" ? "Automatic updates are off." : "Update address saved.");
  }

  return (
    <section className="card desktop-settings" aria-labelledby="desktop-heading">
      <h2 id="desktop-heading">Desktop app</h2>
      <Switch
        label="Start Offpeak when I log in"
        checked={desktop.launchAtLogin}
        disabled={props.disabled}
        onToggle={() => put({ ...desktop, launchAtLogin: !desktop.launchAtLogin }, desktop.launchAtLogin ? "Offpeak no longer starts at login." : "Offpeak starts when you log in.")}
      />
      <h3 className="subheading">Notifications</h3>
      {NOTIFICATIONS.map((n) => (
        <Switch
          key={n.key}
          label={n.label}
          checked={desktop.notifications[n.key]}
          disabled={props.disabled}
          onToggle={() => put({ ...desktop, notifications: { ...desktop.notifications, [n.key]: !desktop.notifications[n.key] } }, "Notifications saved.")}
        />
      ))}
      <form className="feed-form" onSubmit={saveFeed} noValidate>
        <label htmlFor={feedId} className="field-label">
          Update address
        </label>
        <p id={feedHint} className="hint">
          Where the desktop app looks for new versions (https). Empty: no automatic updates.
        </p>
        <div className="inline-field">
          <input id={feedId} className="input feed-input" type="url" inputMode="url" placeholder="https://" value={feed} aria-describedby={feedHint} disabled={props.disabled} onChange={(e) => setFeed(e.target.value)} />
          <button type="submit" className="button small" disabled={props.disabled}>
            Save address
          </button>
        </div>
      </form>
      <p>
        <a href="#/welcome">Run the setup again</a>
      </p>
    </section>
  );
}
