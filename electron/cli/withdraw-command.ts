/**
 * `offpeak withdraw --to 0x… --amount 12.50 [--yes]`: pays the node's available earnings out to
 * an address, after showing the fee, the minimum and the daily limit and asking to confirm
 * (`--yes` confirms without asking, and is required when stdin is not a terminal).
 * `offpeak withdraw --history [--json]`: the node's withdrawals with their status and transaction.
 * Both go through the node running on this machine, which holds the wallet key and signs.
 */
import { createInterface } from "node:readline/promises";
import { z } from "zod";
import { formatUsd, parseUsd } from "../../shared/money";
import { destinationProblem, withdrawalTermsViewSchema, withdrawalViewSchema, type WithdrawalTermsView, type WithdrawalView } from "../../shared/withdrawal";
import type { CliIo } from "./main";
import { parseCommandArgs } from "./command-args";
import { apiError, callNodeApi } from "./node-api";

export const WITHDRAW_USAGE = `Usage:
  offpeak withdraw --to 0xADDRESS --amount 12.50 [--yes] [--data-dir DIR]   pay available earnings out (asks to confirm)
  offpeak withdraw --history [--json] [--data-dir DIR]                      past withdrawals, their status and transaction`;

/** How the command asks for confirmation (tests pass their own). */
export interface ConfirmPrompt {
  /** True when a person can answer (stdin is a terminal). */
  readonly interactive: boolean;
  ask(question: string): Promise<string>;
}

function terminalPrompt(): ConfirmPrompt {
  return {
    interactive: Boolean(process.stdin.isTTY),
    async ask(question) {
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return await rl.question(question);
      } finally {
        rl.close();
      }
    },
  };
}

/** The lines shown before confirming: what is sent, what it costs, and the limits. */
export function withdrawalSummary(to: string, amountMicroUsd: number, terms: WithdrawalTermsView): string[] {
  return [
    `Withdraw ${formatUsd(amountMicroUsd)} in ${terms.tokenSymbol} to ${to} (chain ${terms.chainId})`,
    `Network fee: ${formatUsd(terms.feeMicroUsd)}, taken from your balance on top of the amount`,
    `From your balance: ${formatUsd(amountMicroUsd + terms.feeMicroUsd)} of ${formatUsd(terms.availableMicroUsd)} available`,
    `Minimum ${formatUsd(terms.minimumMicroUsd)}; daily limit ${formatUsd(terms.dailyLimitMicroUsd)} (${formatUsd(terms.withdrawnTodayMicroUsd)} withdrawn today, UTC)`,
  ];
}

/** Why the terms refuse this amount before anything is signed, or null. */
export function termsProblem(amountMicroUsd: number, terms: WithdrawalTermsView): string | null {
  if (amountMicroUsd < terms.minimumMicroUsd) return `the smallest withdrawal is ${formatUsd(terms.minimumMicroUsd)}`;
  const left = Math.max(0, terms.dailyLimitMicroUsd - terms.withdrawnTodayMicroUsd);
  if (amountMicroUsd > left) return `the daily limit leaves ${formatUsd(left)} for today (UTC)`;
  if (amountMicroUsd + terms.feeMicroUsd > terms.availableMicroUsd) {
    return `${formatUsd(amountMicroUsd)} plus the ${formatUsd(terms.feeMicroUsd)} fee is more than the ${formatUsd(terms.availableMicroUsd)} available`;
  }
  return null;
}

/** One history line: when, how much, where, and how it stands. */
export function historyLine(w: WithdrawalView): string {
  const when = new Date(w.createdAt).toISOString().slice(0, 16).replace("T", " ");
  const outcome = w.status === "failed" ? `failed: ${w.failureReason ?? "no reason given"}` : w.status;
  return `${when}  ${formatUsd(w.amountMicroUsd).padStart(12)}  to ${w.to}  ${outcome}${w.txHash ? `  tx ${w.txHash}` : ""}`;
}

/** Runs `offpeak withdraw`; returns the exit code. */
export async function runWithdrawCommand(argv: readonly string[], io: CliIo, prompt: ConfirmPrompt = terminalPrompt()): Promise<number> {
  const parsed = parseCommandArgs(
    "withdraw",
    argv,
    {
      to: { type: "string" },
      amount: { type: "string" },
      yes: { type: "boolean" },
      history: { type: "boolean" },
      json: { type: "boolean" },
      "data-dir": { type: "string" },
      verbose: { type: "boolean" },
    },
    WITHDRAW_USAGE,
    io,
  );
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  if (positionals.length > 0) {
    io.err(`offpeak withdraw: unexpected argument "${positionals[0]}"; use --to and --amount\n\n${WITHDRAW_USAGE}`);
    return 2;
  }
  const dataDir = values["data-dir"];
  if (values.history) {
    if (values.to !== undefined || values.amount !== undefined) {
      io.err("offpeak withdraw: --history lists withdrawals; it takes no --to or --amount");
      return 2;
    }
    return showHistory(dataDir, Boolean(values.json), io);
  }
  if (values.to === undefined || values.amount === undefined) {
    io.err(`offpeak withdraw: give --to and --amount (or --history)\n\n${WITHDRAW_USAGE}`);
    return 2;
  }
  const problem = destinationProblem(values.to);
  if (problem) {
    io.err(`offpeak withdraw: --to ${values.to}: ${problem}`);
    return 2;
  }
  let amountMicroUsd: number;
  try {
    amountMicroUsd = parseUsd(values.amount);
  } catch {
    io.err(`offpeak withdraw: --amount takes a USD amount such as 12.50, got "${values.amount}"`);
    return 2;
  }
  if (amountMicroUsd <= 0) {
    io.err("offpeak withdraw: --amount must be more than zero");
    return 2;
  }
  const termsReply = await callNodeApi(dataDir, "GET", "/api/withdrawals/terms");
  if (!termsReply.ok) return fail(io, termsReply.error, termsReply.exitCode);
  if (termsReply.status !== 200) return fail(io, `cannot withdraw now: ${apiError(termsReply.body, termsReply.status)}`, 1);
  const terms = withdrawalTermsViewSchema.safeParse(termsReply.body);
  if (!terms.success) return fail(io, "the node answered with something that is not the withdrawal terms", 1);
  for (const line of withdrawalSummary(values.to, amountMicroUsd, terms.data)) io.err(line);
  const refused = termsProblem(amountMicroUsd, terms.data);
  if (refused) return fail(io, `cannot withdraw: ${refused}`, 2);
  if (!values.yes) {
    if (!prompt.interactive) return fail(io, "stdin is not a terminal, so nobody can confirm: pass --yes to withdraw without asking", 2);
    const answer = (await prompt.ask("Send it? [y/N] ")).trim().toLowerCase();
    if (answer !== "y" && answer !== "yes") {
      io.err("Nothing was withdrawn.");
      return 1;
    }
  }
  const reply = await callNodeApi(dataDir, "POST", "/api/withdrawals", { to: values.to, amountMicroUsd });
  if (!reply.ok) return fail(io, reply.error, reply.exitCode);
  if (reply.status !== 200) return fail(io, `withdrawal refused: ${apiError(reply.body, reply.status)}`, reply.status === 400 || reply.status === 422 ? 2 : 1);
  const view = withdrawalViewSchema.safeParse(reply.body);
  if (!view.success) return fail(io, "the node answered with something that is not a withdrawal", 1);
  io.out(`Withdrawal ${view.data.id} ${view.data.status}: ${formatUsd(view.data.amountMicroUsd)} to ${view.data.to}.`);
  io.err("The transfer follows shortly; see it with: offpeak withdraw --history");
  return 0;
}

async function showHistory(dataDir: string | undefined, json: boolean, io: CliIo): Promise<number> {
  const reply = await callNodeApi(dataDir, "GET", "/api/withdrawals");
  if (!reply.ok) return fail(io, reply.error, reply.exitCode);
  if (reply.status !== 200) return fail(io, `cannot list withdrawals: ${apiError(reply.body, reply.status)}`, 1);
  const list = z.array(withdrawalViewSchema).safeParse(reply.body);
  if (!list.success) return fail(io, "the node answered with something that is not a withdrawal history", 1);
  if (json) {
    io.out(JSON.stringify(list.data, null, 2));
    return 0;
  }
  if (list.data.length === 0) io.out("No withdrawals yet.");
  for (const w of list.data) io.out(historyLine(w));
  return 0;
}

function fail(io: CliIo, message: string, code: number): number {
  io.err(`offpeak withdraw: ${message}`);
  return code;
}
