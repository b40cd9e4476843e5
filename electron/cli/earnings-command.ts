/**
 * `offpeak earnings [--range 24h|7d|30d] [--json]`: what the node running on this machine has
 * earned — available, pending, held, withdrawn, lifetime — its latest jobs, and every difference
 * between its own receipt record and the coordinator's, read from its local control server.
 */
import { parseCommandArgs } from "./command-args";
import { earningsRangeSchema, earningsViewSchema, type EarningsRow, type EarningsView } from "../../shared/earnings-view";
import { formatUsd } from "../../shared/money";
import type { CliIo } from "./main";
import { apiError, callNodeApi } from "./node-api";

/** Jobs the text output lists (the JSON output has them all). */
const LISTED_JOBS = 20;

const STATE_WORDS: Readonly<Record<EarningsRow["state"], string>> = {
  pending: "pending",
  held: "held",
  available: "available",
  refunded: "refunded to the consumer",
  "in-flight": "settling",
  missing: "missing at the coordinator",
  unrecorded: "not in this node's record",
  unchecked: "not checked",
};

function time(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace("T", " ");
}

function duration(ms: number): string {
  const hours = ms / 3_600_000;
  return hours >= 1 && Number.isInteger(hours) ? `${hours} h` : `${Math.round(ms / 60_000)} min`;
}

/** Where a job stands, in words: the refund's reason with a refunded job. */
function stateWords(row: EarningsRow): string {
  // A state named by a newer node than this command is printed as it is named.
  const words = STATE_WORDS[row.state] ?? row.state;
  return row.state === "refunded" && row.refund ? `${words}: ${row.refund.reason}` : words;
}

/** The view as lines of text. */
export function earningsLines(view: EarningsView): string[] {
  const lines = [`Earnings of ${view.address} (last ${view.range.replace("h", " h").replace("d", " days")})`];
  const c = view.coordinator;
  if (c) {
    const b = c.balances;
    lines.push(
      `  Available  ${formatUsd(b.availableMicroUsd)}`,
      `  Pending    ${formatUsd(b.pendingMicroUsd)} (available ${duration(c.verificationWindowMs)} after each job)`,
      `  Held       ${formatUsd(b.heldMicroUsd)}${c.hold ? ` (on hold: ${c.hold.reason})` : ""}`,
      `  Withdrawn  ${formatUsd(b.withdrawnMicroUsd)}`,
      `  Lifetime   ${formatUsd(b.lifetimeMicroUsd)}`,
      `  Today      ${formatUsd(b.todayMicroUsd)}`,
    );
  } else {
    lines.push(`  The coordinator could not be asked: ${view.coordinatorError ?? "no answer"}.`);
  }
  const inPeriod = view.series.points.reduce((sum, p) => sum + p.microUsd, 0);
  if (c) lines.push(`  Earned in the period: ${formatUsd(inPeriod)}`);
  lines.push("", view.totalRows === 0 ? "No jobs in this period." : `Jobs (${view.totalRows}, times in UTC):`);
  for (const row of view.rows.slice(0, LISTED_JOBS)) {
    const amount = row.amountMicroUsd === null ? "—" : formatUsd(row.amountMicroUsd);
    lines.push(`  ${time(row.at)}  ${row.model}  ${row.completionTokens} tokens  ${amount}  ${stateWords(row)}${row.difference ? `  (${row.difference})` : ""}`);
  }
  if (view.totalRows > LISTED_JOBS) lines.push(`  … and ${view.totalRows - LISTED_JOBS} more (--json lists them)`);
  const notes = view.reconciliation.notes;
  lines.push("", notes.length === 0 ? "This node's receipts and the coordinator's records agree." : "Reconciliation:");
  for (const note of notes) lines.push(`  ${note}`);
  return lines;
}

const EARNINGS_USAGE = `Usage: offpeak earnings [--range 24h|7d|30d] [--json] [--data-dir DIR]

What the node running on this machine has earned: available, pending, held and withdrawn
balances, earnings over the period (default 24h), its jobs, and any receipt the coordinator
has not credited yet.

Options:
  --range 24h|7d|30d   the period of the chart and the job list (default 24h)
  --json               the whole view as JSON
  --data-dir DIR       the node's data folder (default ~/.offpeak)`;

/** Runs `offpeak earnings`; returns the exit code. */
export async function runEarningsCommand(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs("earnings", args, { json: { type: "boolean" }, range: { type: "string" }, "data-dir": { type: "string" }, verbose: { type: "boolean" } }, EARNINGS_USAGE, io);
  if (typeof parsed === "number") return parsed;
  const { values } = parsed;
  if (parsed.positionals.length > 0) {
    io.err(`offpeak earnings: unexpected argument "${parsed.positionals[0]}"\n\n${EARNINGS_USAGE}`);
    return 2;
  }
  const range = earningsRangeSchema.safeParse(values.range ?? "24h");
  if (!range.success) {
    io.err(`offpeak earnings: --range takes 24h, 7d or 30d, got "${values.range}"\n\n${EARNINGS_USAGE}`);
    return 2;
  }
  const reply = await callNodeApi(values["data-dir"], "GET", `/api/earnings?range=${range.data}`);
  if (!reply.ok) {
    io.err(reply.error);
    return reply.exitCode;
  }
  if (reply.status !== 200) {
    io.err(apiError(reply.body, reply.status));
    return 1;
  }
  const view = earningsViewSchema.safeParse(reply.body);
  if (!view.success) {
    io.err("the node answered with something that is not an earnings view");
    return 1;
  }
  if (values.json) io.out(JSON.stringify(view.data, null, 2));
  else for (const line of earningsLines(view.data)) io.out(line);
  return 0;
}
