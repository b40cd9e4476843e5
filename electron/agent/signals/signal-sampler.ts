/**
 * The node samples its signals through one injected {@link SignalSampler}: the platform's real
 * sources headless (Linux: logind / X11 idle, /sys power supply, process list, nvidia-smi), the
 * Electron powerMonitor in the desktop app, and a fake in tests.
 */
import type { SignalAvailability, Signals } from "../../../shared/sharing-types";

/** Reads every signal once. */
export interface SignalSampler {
  /** Samples now; a signal this platform does not offer is null (see {@link availability}). */
  sample(): Promise<Signals>;
  /** Which signals this platform offers at all. */
  availability(): SignalAvailability;
}
