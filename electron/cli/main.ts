/**
 * The `offpeak` command: `up`, `node`, `coordinator`, `keys create`, `status`, `pause`, `resume`, `models`, `wallet`, `earnings`.
 */
import { parseArgs } from "node:util";
import { runCoordinatorCommand } from "./coordinator-command";
import { runKeysCommand } from "./keys-command";
import { runModelsCommand } from "./models-command";
import { runNodeCommand, runUpCommand } from "./node-commands";
import { runPauseCommand, runResumeCommand } from "./pause-command";
import { runStatusCommand } from "./status-command";
import { runEarningsCommand } from "./earnings-command";
import { runWithdrawCommand } from "./withdraw-command";
import { runWalletCommand } from "./wallet-command";
import { runAppealCommand } from "./appeal-command";

export const USAGE = `Usage: offpeak <command> [options]

Commands:
  up           [--model PATH] [--data-dir DIR] [--port N]   a private network on this machine: coordinator + this node
  node         --coordinator URL [--model PATH] [--data-dir DIR]   join a coordinator as a node
  coordinator  [--port N] [--db DIR|postgres://…] [--host H]  run the network service
  keys create  --coordinator URL --admin-token T --credit-usd N   create a consumer API key
  status       [--json] [--data-dir DIR]                     the state of the node running on this machine
  pause        [--for 1h|30m|2h30m] [--until HH:MM] [--data-dir DIR]   stop sharing for a while (default 1 hour); running jobs go elsewhere
  resume       [--data-dir DIR]                              end a pause
  earnings     [--range 24h|7d|30d] [--json] [--data-dir DIR]   available, pending, held and withdrawn earnings, jobs, and receipts the coordinator has not credited
  models list  [--json] [--data-dir DIR]                     installed models and the catalog, with a verdict for this machine
  models pull  <id|hf:owner/repo/file.gguf|https://…> [--data-dir DIR]   download and verify a model
  models rm    <id> [--data-dir DIR]                         delete an installed model (not the one being served)
  wallet address [--json] [--data-dir DIR]                   the node's wallet address (where its earnings go)
  wallet backup  [--yes] [--data-dir DIR]                    print the backup phrase (asks first)
  wallet restore [--yes] [--data-dir DIR]                    replace the key with a backup phrase read from stdin
  withdraw     --to 0x… --amount 12.50 [--yes] [--data-dir DIR]   pay available earnings out to an address (shows the fee, asks first)
  withdraw     --history [--json] [--data-dir DIR]           past withdrawals, their status and transaction hash
  appeal       "<statement>" [--data-dir DIR]                appeal this node's quarantine (signed by the node; at most 1,000 characters)
  appeal       --status [--json] [--data-dir DIR]            the quarantine, the appeal and the operator's decision

Common: --verbose (log everything to stderr), --help`;

/** What a command needs from the outside world (tests pass their own). */
export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** Resolves when the process is asked to stop (SIGINT / SIGTERM). */
  readonly stopSignal: Promise<void>;
}

function processIo(): CliIo {
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    stopSignal: new Promise((resolve) => {
      process.once("SIGINT", () => resolve());
      process.once("SIGTERM", () => resolve());
    }),
  };
}

/** Runs the command line; returns the exit code. */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === "--help" || command === "-h" || command === "help") {
    io.out(USAGE);
    return command ? 0 : 2;
  }
  if (command === "models") return runModelsCommand(rest, io);
  if (command === "earnings") return runEarningsCommand(rest, io);
  if (command === "withdraw") return runWithdrawCommand(rest, io);
  if (command === "wallet") return runWalletCommand(rest, io);
  if (command === "appeal") return runAppealCommand(rest, io);
  let parsed;
  try {
    parsed = parseArgs({
      args: command === "keys" ? rest.slice(1) : rest,
      strict: true,
      allowPositionals: false,
      options: {
        model: { type: "string" },
        "data-dir": { type: "string" },
        port: { type: "string" },
        host: { type: "string" },
        db: { type: "string" },
        coordinator: { type: "string" },
        "admin-token": { type: "string" },
        "credit-usd": { type: "string" },
        json: { type: "boolean" },
        for: { type: "string" },
        until: { type: "string" },
        verbose: { type: "boolean" },
        help: { type: "boolean" },
      },
    });
  } catch (error) {
    io.err(`offpeak ${command}: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const values = parsed.values;
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  try {
    switch (command) {
      case "up":
        return await runUpCommand(values, io);
      case "node":
        return await runNodeCommand(values, io);
      case "coordinator":
        return await runCoordinatorCommand(values, io);
      case "keys":
        if (rest[0] !== "create") {
          io.err(`offpeak keys: unknown subcommand "${rest[0] ?? ""}" (try "offpeak keys create")`);
          return 2;
        }
        return await runKeysCommand(values, io);
      case "status":
        return await runStatusCommand(values, io);
      case "pause":
        return await runPauseCommand(values, io);
      case "resume":
        return await runResumeCommand(values, io);
      default:
        io.err(`offpeak: unknown command "${command}"\n\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    io.err(`offpeak ${command}: ${(error as Error).message}`);
    return 1;
  }
}

/** Parses a `--port` value: an integer 0–65535, or undefined when absent. */
export function parsePort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`--port must be a number from 0 to 65535, got "${value}"`);
  return port;
}
