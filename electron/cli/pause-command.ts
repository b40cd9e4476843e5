/**
 * `offpeak pause [--for 1h|30m|2h30m] [--until HH:MM]` and `offpeak resume`: pause sharing on
 * the node running on this machine (its running jobs go back to the coordinator at once), or
 * end the pause. Both print the node's resulting state in a sentence.
 */
import { nodeStateSchema } from "../../shared/control-api";
import { MAX_PAUSE_MS } from "../agent/node-state";
import type { CliValues } from "./cli-options";
import type { CliIo } from "./main";
import { apiError, callNodeApi } from "./node-api";

const DEFAULT_PAUSE_MS = 3_600_000;

/** A duration such as "1h", "30m", "2h30m" or "1d" in milliseconds; throws a readable error. */
export function parseDuration(text: string): number {
  const m = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$/.exec(text.trim());
  if (!text.trim() || !m || (m[1] === undefined && m[2] === undefined && m[3] === undefined)) {
    throw new Error(`--for takes a duration like 1h, 30m or 2h30m, got "${text}"`);
  }
  const ms = (Number(m[1] ?? 0) * 24 * 60 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0)) * 60_000;
  if (ms <= 0) throw new Error(`--for must be longer than zero, got "${text}"`);
  if (ms > MAX_PAUSE_MS) throw new Error(`--for can be at most 7 days, got "${text}"`);
  return ms;
}

/**
 * The next time the local clock reads "HH:MM" (24-hour): today, or tomorrow when that time has
 * passed; throws a readable error.
 */
export function parseClockTime(text: string, now: number): number {
  const m = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(text.trim());
  if (!m) throw new Error(`--until takes a local time like 18:30 (24-hour), got "${text}"`);
  const hours = Number(m[1]);
  const minutes = Number(m[2]);
  const today = new Date(now);
  const at = (dayOffset: number) => new Date(today.getFullYear(), today.getMonth(), today.getDate() + dayOffset, hours, minutes, 0, 0).getTime();
  const candidate = at(0);
  return candidate > now ? candidate : at(1);
}

/** When the pause `values` ask for ends (epoch ms); one hour from now by default. */
export function pauseEnd(values: Pick<CliValues, "for" | "until">, now: number): number {
  if (values.for !== undefined && values.until !== undefined) throw new Error("give either --for or --until, not both");
  if (values.until !== undefined) return parseClockTime(values.until, now);
  return now + (values.for !== undefined ? parseDuration(values.for) : DEFAULT_PAUSE_MS);
}

async function changeNode(values: CliValues, io: CliIo, path: string, body?: unknown): Promise<number> {
  const reply = await callNodeApi(values["data-dir"], "POST", path, body);
  if (!reply.ok) {
    io.err(reply.error);
    return reply.exitCode;
  }
  if (reply.status !== 200) {
    io.err(apiError(reply.body, reply.status));
    return reply.status === 400 || reply.status === 422 ? 2 : 1;
  }
  const state = nodeStateSchema.safeParse(reply.body);
  if (!state.success) {
    io.err("the node answered with something that is not its state");
    return 1;
  }
  io.out(state.data.reason);
  return 0;
}

/** `offpeak pause`: pauses sharing until the time asked for. */
export async function runPauseCommand(values: CliValues, io: CliIo, now = Date.now()): Promise<number> {
  let until: number;
  try {
    until = pauseEnd(values, now);
  } catch (error) {
    io.err(`offpeak pause: ${(error as Error).message}`);
    return 2;
  }
  return changeNode(values, io, "/api/pause", { until });
}

/** `offpeak resume`: ends a pause. */
export async function runResumeCommand(values: CliValues, io: CliIo): Promise<number> {
  return changeNode(values, io, "/api/resume");
}
