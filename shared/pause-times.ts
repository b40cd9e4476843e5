/**
 * The owner's quick pauses ("for 1 hour", "until tomorrow"), as the tray and the dashboard offer
 * them, and how a UI tells that the node is paused by the owner rather than by a rule.
 */
import type { NodeState } from "./control-api";

const HOUR_MS = 60 * 60 * 1000;

/** When "Pause for 1 hour" ends (epoch ms). */
export function oneHourFrom(now: number): number {
  return now + HOUR_MS;
}

/** When "Pause until tomorrow" ends: the next calendar day at `hour`:00 local time (DST-safe). */
export function tomorrowMorning(now: number, hour = 8): number {
  const today = new Date(now);
  return new Date(today.getFullYear(), today.getMonth(), today.getDate() + 1, hour, 0, 0, 0).getTime();
}

/**
 * True while the owner's pause ("pause for 1 hour / until tomorrow") holds the node: the
 * pause that Resume ends. Read from the decision's flag, not from the reason's wording.
 */
export function isPausedByOwner(state: Pick<NodeState, "decision">): boolean {
  return !state.decision.share && state.decision.pausedByOwner;
}
