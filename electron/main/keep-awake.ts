/**
 * Keeps the machine from sleeping while it serves a job, and only then: Electron's
 * `powerSaveBlocker` in "prevent-app-suspension" mode (the display may still sleep) from the
 * first running job to the last one's end. It never changes the owner's power plan.
 */
import type { PowerSaveBlocker } from "electron";

/** The part of Electron's `powerSaveBlocker` used here. */
export type PowerSaveBlockerLike = Pick<PowerSaveBlocker, "start" | "stop" | "isStarted">;

/** Counts running jobs and holds the blocker while there is at least one. */
export interface KeepAwake {
  /** A job started (the first one starts the blocker). */
  jobStarted(): void;
  /** A job ended (the last one stops the blocker); extra calls are ignored. */
  jobEnded(): void;
  /** Whether the blocker is held now. */
  readonly active: boolean;
  /** Stops the blocker whatever the count (at quit). */
  dispose(): void;
}

/** Creates the job-counting keep-awake over `powerSaveBlocker`. */
export function createKeepAwake(powerSaveBlocker: PowerSaveBlockerLike): KeepAwake {
  let running = 0;
  let blockerId: number | null = null;
  const release = () => {
    if (blockerId !== null && powerSaveBlocker.isStarted(blockerId)) powerSaveBlocker.stop(blockerId);
    blockerId = null;
  };
  return {
    jobStarted() {
      running += 1;
      if (blockerId === null || !powerSaveBlocker.isStarted(blockerId)) blockerId = powerSaveBlocker.start("prevent-app-suspension");
    },
    jobEnded() {
      if (running === 0) return;
      running -= 1;
      if (running === 0) release();
    },
    get active() {
      return blockerId !== null && powerSaveBlocker.isStarted(blockerId);
    },
    dispose() {
      running = 0;
      release();
    },
  };
}

/** The part of the agent's control API that says whether a job runs. */
export interface JobStateSource {
  onState(listener: (state: { currentJob: unknown }) => void): () => void;
}

/**
 * Holds `keepAwake` while the node's state shows a running job, and releases it when the state
 * shows none; returns the function that stops following (and releases the blocker).
 */
export function keepAwakeWhileWorking(source: JobStateSource, keepAwake: KeepAwake): () => void {
  let working = false;
  const stop = source.onState((state) => {
    const now = state.currentJob !== null;
    if (now === working) return;
    working = now;
    if (now) keepAwake.jobStarted();
    else keepAwake.jobEnded();
  });
  return () => {
    stop();
    keepAwake.dispose();
  };
}
