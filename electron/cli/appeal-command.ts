/**
 * `offpeak appeal "<statement>"`: the owner appeals the node's quarantine. The node running on
 * this machine signs the statement with its wallet key and sends it to its coordinator; the
 * operator upholds the appeal (the quarantine and the hold on earnings are lifted) or rejects it
 * with a reason, which `offpeak appeal --status` and the Diagnostics page show.
 */
import { appealViewSchema, APPEAL_MAX_CHARS, statementProblem, type AppealView } from "../../shared/appeal";
import { nodeStateSchema, type NodeState } from "../../shared/control-api";
import type { CliIo } from "./main";
import { parseCommandArgs } from "./command-args";
import { apiError, callNodeApi } from "./node-api";

export const APPEAL_USAGE = `Usage:
  offpeak appeal "<why the quarantine is wrong>" [--data-dir DIR]   appeal this node's quarantine (at most ${APPEAL_MAX_CHARS} characters)
  offpeak appeal --status [--json] [--data-dir DIR]                   the quarantine, the appeal and its outcome`;

/** The lines saying where the appeal stands. */
export function standingLines(standing: NodeState["standing"]): string[] {
  const lines: string[] = [];
  lines.push(standing.quarantine ? `Quarantined: ${standing.quarantine.reason}` : "Not quarantined.");
  const appeal = standing.appeal;
  if (appeal) lines.push(appealLine(appeal));
  else if (standing.quarantine) lines.push(`No appeal yet: offpeak appeal "<why the quarantine is wrong>"`);
  if (standing.quarantine && standing.forfeitAt !== null) lines.push(`Held earnings are forfeited to the consumers on ${new Date(standing.forfeitAt).toISOString().slice(0, 16).replace("T", " ")} UTC unless an appeal is upheld.`);
  if (standing.sync === "error" && standing.error) lines.push(standing.error);
  return lines;
}

function appealLine(appeal: AppealView): string {
  if (appeal.status === "open") return `Appeal ${appeal.id}: open, waiting for the operator's decision.`;
  if (appeal.status === "upheld") return `Appeal ${appeal.id}: upheld; the quarantine was lifted.`;
  return `Appeal ${appeal.id}: rejected: ${appeal.reason ?? "no reason given"}`;
}

/** Runs `offpeak appeal`; returns the exit code. */
export async function runAppealCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs("appeal", argv, { status: { type: "boolean" }, json: { type: "boolean" }, "data-dir": { type: "string" } }, APPEAL_USAGE, io);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  const dataDir = values["data-dir"];
  if (values.status) {
    if (positionals.length > 0) {
      io.err(`offpeak appeal: --status takes no statement\n\n${APPEAL_USAGE}`);
      return 2;
    }
    const reply = await callNodeApi(dataDir, "GET", "/api/state");
    if (!reply.ok) return fail(io, reply.error, reply.exitCode);
    const state = nodeStateSchema.safeParse(reply.body);
    if (reply.status !== 200 || !state.success) return fail(io, apiError(reply.body, reply.status), 1);
    if (values.json) io.out(JSON.stringify(state.data.standing, null, 2));
    else for (const line of standingLines(state.data.standing)) io.out(line);
    return 0;
  }
  if (positionals.length !== 1) {
    io.err(`offpeak appeal: give the statement as one argument, in quotes\n\n${APPEAL_USAGE}`);
    return 2;
  }
  const statement = positionals[0] as string;
  const problem = statementProblem(statement);
  if (problem !== null) {
    io.err(`offpeak appeal: ${problem} (this one has ${statement.trim().length})`);
    return 2;
  }
  const reply = await callNodeApi(dataDir, "POST", "/api/appeal", { statement });
  if (!reply.ok) return fail(io, reply.error, reply.exitCode);
  const appeal = appealViewSchema.safeParse(reply.body);
  if (reply.status !== 200 || !appeal.success) return fail(io, apiError(reply.body, reply.status), 1);
  if (values.json) io.out(JSON.stringify(appeal.data, null, 2));
  else io.out(`Appeal ${appeal.data.id} sent, signed by this node; the operator will uphold or reject it (see offpeak appeal --status).`);
  return 0;
}

function fail(io: CliIo, error: string, code: number): number {
  io.err(`offpeak appeal: ${error}`);
  return code;
}
