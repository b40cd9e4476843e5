/**
 * `offpeak withdraw` against a node control server whose withdrawals are the real ones: the
 * node's wallet signs, its withdrawal client posts to a real coordinator (PGlite) that checks
 * and debits the ledger.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startCoordinator, type RunningCoordinator } from "../../coordinator/coordinator";
import { openDatabase, type Database } from "../../coordinator/db";
import { nodeAccountId } from "../../coordinator/ledger";
import type { WithdrawalTerms } from "../../shared/withdrawal";
import { FakeControlApi } from "../../tests/fake-electron/fake-control-api";
import { accountBalance, creditNode, randomNodeWallet } from "../../tests/support/withdrawal-fixtures";
import { writeControlFile } from "../agent/control-file";
import { startControlServer, type ControlServer } from "../agent/control-server";
import { prepareDataDir } from "../agent/data-dir";
import type { NodeWallet } from "../agent/wallet";
import { WithdrawalClient } from "../agent/withdrawal-client";
import { main, type CliIo } from "./main";
import { runWithdrawCommand, type ConfirmPrompt } from "./withdraw-command";

const TERMS: WithdrawalTerms = {
  chainId: 8453,
  tokenAddress: "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913",
  tokenSymbol: "USDC",
  tokenDecimals: 6,
  feeMicroUsd: 100_000,
  minimumMicroUsd: 5_000_000,
  dailyLimitMicroUsd: 1_000_000_000,
  confirmations: 3,
};
const DEST = "0x90F8bf6A479f320ead074411a4B0e7944Ea8c9C1";

let db: Database;
let coordinator: RunningCoordinator;
let server: ControlServer;
let dataDir: string;
let wallet: NodeWallet;

beforeAll(async () => {
  db = await openDatabase(undefined);
  coordinator = await startCoordinator({ db, adminToken: "admin-token-for-tests", withdrawals: { terms: TERMS } });
  dataDir = await mkdtemp(join(tmpdir(), "offpeak-withdraw-cli-"));
});

afterAll(async () => {
  await coordinator.close();
  await db.close();
  await rm(dataDir, { recursive: true, force: true });
});

beforeEach(async () => {
  await server?.close();
  wallet = await randomNodeWallet();
  const client = new WithdrawalClient({ coordinatorUrl: coordinator.wsUrl, wallet });
  const control = new FakeControlApi();
  control.getWithdrawalTerms = () => client.terms();
  control.withdraw = (request) => client.withdraw(request);
  control.listWithdrawals = () => client.list();
  server = await startControlServer({ control, staticDir: dataDir });
  const paths = await prepareDataDir(dataDir);
  await writeControlFile(paths.controlFile, { pid: process.pid, port: server.port, token: server.token, dashboardUrl: server.url, startedAt: Date.now() });
  await creditNode(db, wallet.address, 20_000_000);
});

afterAll(async () => {
  await server?.close();
});

function capture(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l), stopSignal: new Promise<void>(() => {}) };
}

function prompt(interactive: boolean, answer = ""): ConfirmPrompt & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    interactive,
    ask: async (question) => {
      asked.push(question);
      return answer;
    },
  };
}

const available = () => accountBalance(db, nodeAccountId(wallet.address));
const withdraw = (args: string[], p = prompt(false)) => {
  const io = capture();
  return runWithdrawCommand([...args, "--data-dir", dataDir], io, p).then((code) => ({ code, ...io }));
};

describe("offpeak withdraw", () => {
  it("shows the fee, minimum and daily limit, and with --yes withdraws without asking", async () => {
    const p = prompt(false);
    const run = await withdraw(["--to", DEST, "--amount", "12.50", "--yes"], p);
    expect(run.code).toBe(0);
    expect(run.stderr.slice(0, 4)).toEqual([
      `Withdraw $12.50 in USDC to ${DEST} (chain 8453)`,
      "Network fee: $0.10, taken from your balance on top of the amount",
      "From your balance: $12.60 of $20.00 available",
      "Minimum $5.00; daily limit $1,000.00 ($0.00 withdrawn today, UTC)",
    ]);
    expect(run.stdout).toEqual([expect.stringMatching(new RegExp(`^Withdrawal wd_\\S+ requested: \\$12\\.50 to ${DEST}\\.$`))]);
    expect(p.asked).toEqual([]);
    expect(await available()).toBe(7_400_000);
  });

  it("asks a person at a terminal, and withdraws nothing unless they say yes", async () => {
    const no = prompt(true, "n");
    const refused = await withdraw(["--to", DEST, "--amount", "6"], no);
    expect(refused.code).toBe(1);
    expect(no.asked).toEqual(["Send it? [y/N] "]);
    expect(refused.stderr.at(-1)).toBe("Nothing was withdrawn.");
    expect(await available()).toBe(20_000_000);
    const yes = await withdraw(["--to", DEST, "--amount", "6"], prompt(true, "y"));
    expect(yes.code).toBe(0);
    expect(await available()).toBe(13_900_000);
  });

  it("needs --yes when stdin is not a terminal", async () => {
    const run = await withdraw(["--to", DEST, "--amount", "6"]);
    expect(run.code).toBe(2);
    expect(run.stderr.at(-1)).toBe("offpeak withdraw: stdin is not a terminal, so nobody can confirm: pass --yes to withdraw without asking");
    expect(await available()).toBe(20_000_000);
  });

  it("refuses bad input with a clear error and withdraws nothing", async () => {
    const cases: [string[], RegExp][] = [
      [["--to", DEST.toLowerCase(), "--amount", "6", "--yes"], /EIP-55 capitals/],
      [["--to", DEST, "--amount", "6.1234567", "--yes"], /--amount takes a USD amount such as 12.50/],
      [["--to", DEST, "--amount", "0", "--yes"], /must be more than zero/],
      [["--to", DEST, "--yes"], /give --to and --amount/],
      [["--to", DEST, "--amount", "1", "--yes"], /cannot withdraw: the smallest withdrawal is \$5\.00/],
      [["--to", DEST, "--amount", "19.95", "--yes"], /cannot withdraw: \$19\.95 plus the \$0\.10 fee is more than the \$20\.00 available/],
      [["--history", "--to", DEST], /takes no --to or --amount/],
      [["--to", DEST, "--amount", "6", "--bogus"], /Unknown option '--bogus'/],
      [[DEST, "6", "--yes"], /unexpected argument "0x[0-9a-fA-F]{40}"; use --to and --amount/],
    ];
    for (const [args, error] of cases) {
      const run = await withdraw(args);
      expect(run.code, args.join(" ")).toBe(2);
      expect(run.stderr.join("\n"), args.join(" ")).toMatch(error);
    }
    expect(await available()).toBe(20_000_000);
  });

  it("lists the history, as lines or as JSON", async () => {
    const empty = await withdraw(["--history"]);
    expect(empty.stdout).toEqual(["No withdrawals yet."]);
    await withdraw(["--to", DEST, "--amount", "5", "--yes"]);
    await withdraw(["--to", DEST, "--amount", "7.25", "--yes"]);
    const lines = await withdraw(["--history"]);
    expect(lines.code).toBe(0);
    expect(lines.stdout).toHaveLength(2);
    expect(lines.stdout[0]).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d\\s+\\$7\\.25  to ${DEST}  requested$`));
    const json = await withdraw(["--history", "--json"]);
    const parsed = JSON.parse(json.stdout.join("\n")) as { amountMicroUsd: number; status: string }[];
    expect(parsed.map((w) => [w.amountMicroUsd, w.status])).toEqual([
      [7_250_000, "requested"],
      [5_000_000, "requested"],
    ]);
  });

  it("is reached from the offpeak command line", async () => {
    const io = capture();
    expect(await main(["withdraw", "--help"], io)).toBe(0);
    expect(io.stdout.join("\n")).toMatch(/offpeak withdraw --to 0xADDRESS --amount 12.50 \[--yes\]/);
  });
});
