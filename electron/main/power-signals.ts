/**
 * The desktop app's signals: idle time, battery and (macOS) thermal state from Electron's
 * `powerMonitor`, as sources the node host's sampler puts over the headless process, GPU and
 * memory sources (`signalSources` in node-host.ts); and the power
 * events (suspend, resume, lock, unlock, battery, AC, thermal change) reported at once so the
 * sharing monitor re-evaluates without waiting for its next sample.
 *
 * On a Linux Wayland session Electron's idle time is unreliable (it misses keyboard-only use,
 * https://github.com/electron/electron/issues/27912, and reads 0 on some desktops,
 * https://github.com/electron/electron/issues/34826), so there the headless logind source stays.
 */
import type { ThermalState } from "../../shared/sharing-types";
import type { SignalSources } from "../agent/signals/signal-sources";

/** The power events that may change the sharing decision. */
export const POWER_EVENTS = ["suspend", "resume", "lock-screen", "unlock-screen", "on-battery", "on-ac", "thermal-state-change"] as const;
export type PowerEvent = (typeof POWER_EVENTS)[number];

/** The part of Electron's `powerMonitor` the signals use. */
export interface PowerMonitorLike {
  getSystemIdleTime(): number;
  isOnBatteryPower(): boolean;
  getCurrentThermalState(): string;
  on(event: string, listener: () => void): unknown;
  removeListener(event: string, listener: () => void): unknown;
}

/** Electron's thermal state as the shared one; "unknown" (and anything else) is null. */
export function thermalFromElectron(state: string): ThermalState | null {
  return state === "nominal" || state === "fair" || state === "serious" || state === "critical" ? state : null;
}

/** Whether Electron's idle time can be trusted here (not a Linux Wayland session). */
export function electronIdleReliable(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): boolean {
  if (platform !== "linux") return true;
  return !env.WAYLAND_DISPLAY && env.XDG_SESSION_TYPE !== "wayland";
}

/** The sources `powerMonitor` answers on this platform (call after the app is ready). */
export function createPowerMonitorSources(
  powerMonitor: PowerMonitorLike,
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): Partial<SignalSources> {
  return {
    battery: { onBattery: async () => powerMonitor.isOnBatteryPower() },
    ...(electronIdleReliable(platform, env) ? { idle: { idleSeconds: async () => powerMonitor.getSystemIdleTime() } } : {}),
    ...(platform === "darwin" ? { thermal: { thermal: async () => thermalFromElectron(powerMonitor.getCurrentThermalState()) } } : {}),
  };
}

/** Calls `onChange` on every power event; returns the function that stops listening. */
export function watchPowerEvents(powerMonitor: PowerMonitorLike, onChange: (event: PowerEvent) => void): () => void {
  const listeners = POWER_EVENTS.map((event) => {
    const listener = () => onChange(event);
    powerMonitor.on(event, listener);
    return { event, listener };
  });
  return () => {
    for (const { event, listener } of listeners) powerMonitor.removeListener(event, listener);
  };
}
