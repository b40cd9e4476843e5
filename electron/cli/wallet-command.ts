/**
 * `offpeak wallet address|backup|restore`: the node's wallet from the command line.
 *
 * With a node running on the data folder, each command goes through its control API (a restore
 * then logs the node in again under the restored key). Without one, it works on the key store
 * the node would use (the OS keychain, or the file with OFFPEAK_KEY_STORE=file): `address` and
 * `backup` open the wallet as the node would — creating it on the very first use — and `restore`
 * writes the restored key there.
 *
 * The phrase is read from stdin, never from the command line (shell history keeps argv). Showing
 * it or replacing the key asks first; where stdin is not a terminal, `--yes` is that answer.
 */
import { walletBackupSchema, walletRestoreSchema, walletViewSchema, type WalletBackup, type WalletRestore, type WalletView } from "../../shared/control-api";
import { prepareDataDir, resolveDataDir } from "../agent/data-dir";
import { KeyStoreError } from "../agent/key-store";
import { chooseKeyStore } from "../agent/node-key-store";
import { WalletVault } from "../agent/wallet";
import { walletStatusView } from "../agent/wallet-controls";
import { addressOf, PhraseError } from "../agent/wallet-secret";
import type { CliIo } from "./main";
import { parseSubcommandArgs } from "./command-args";
import { apiError, callNodeApi } from "./node-api";
import { processInput, type CommandInput } from "./terminal-input";

export interface WalletCommandDeps {
  readonly env?: NodeJS.ProcessEnv;
  readonly input?: CommandInput;
}

const WALLET_USAGE = `Usage: offpeak wallet <address|backup|restore> [--data-dir DIR] [--yes] [--json]

  wallet address   the node's wallet address (its identity, where earnings go)
  wallet backup    print the backup phrase (asks first; --yes when stdin is not a terminal)
  wallet restore   replace the node's key with the one a backup phrase gives; the phrase is read
                   from stdin (typed hidden at a terminal, or piped), never from the command line

A running node on the data folder is asked through its control API; otherwise the key store is
used directly (the OS keychain, or the data folder's file with OFFPEAK_KEY_STORE=file).`;

/** A usage or input problem (exit 2) rather than a failure (exit 1). */
class UsageError extends Error {}

/** The wallet operations, on a running node or on the key store. */
interface WalletTarget {
  view(): Promise<WalletView>;
  backup(): Promise<WalletBackup>;
  restore(phrase: string, confirm: boolean): Promise<WalletRestore>;
}

async function nodeCall<T>(dataDir: string | undefined, method: string, path: string, parse: (body: unknown) => T, body?: unknown): Promise<T> {
  const reply = await callNodeApi(dataDir, method, path, body);
  if (!reply.ok) throw new Error(reply.error);
  if (reply.status !== 200) {
    const message = apiError(reply.body, reply.status);
    throw reply.status === 400 || reply.status === 422 ? new UsageError(message) : new Error(message);
  }
  return parse(reply.body);
}

/** The running node's wallet, or null when no node answers on this data folder. */
async function runningNode(dataDir: string | undefined): Promise<WalletTarget | null> {
  const probe = await callNodeApi(dataDir, "GET", "/api/wallet");
  if (!probe.ok) return null;
  return {
    view: () => nodeCall(dataDir, "GET", "/api/wallet", (b) => walletViewSchema.parse(b)),
    backup: () => nodeCall(dataDir, "POST", "/api/wallet/backup", (b) => walletBackupSchema.parse(b), { confirm: true }),
    restore: (phrase, confirm) => nodeCall(dataDir, "POST", "/api/wallet/restore", (b) => walletRestoreSchema.parse(b), { phrase, confirm }),
  };
}

/** The key store of a data folder with no node running. */
async function directStore(dataDir: string | undefined, env: NodeJS.ProcessEnv): Promise<WalletTarget> {
  const paths = await prepareDataDir(resolveDataDir(dataDir, env));
  const store = chooseKeyStore({ dataDir: paths.root, env });
  const vault = new WalletVault(store);
  const view = (): WalletView => ({ ...walletStatusView(vault.status()), address: vault.status().address });
  return {
    async view() {
      await vault.open();
      return view();
    },
    async backup() {
      const status = await vault.open();
      if (status.state !== "ready") throw new Error(status.reason ?? "the wallet could not be opened");
      return vault.backup();
    },
    async restore(phrase, confirm) {
      let preview;
      try {
        preview = vault.preview(phrase);
      } catch (error) {
        if (error instanceof PhraseError) throw new UsageError(`Not a valid backup phrase: ${error.message}.`);
        throw error;
      }
      // Only read what is there: a restore must not create a wallet first, and must work on a damaged one.
      let previous: `0x${string}` | null = null;
      try {
        const secret = await store.load();
        previous = secret ? addressOf(secret.privateKey) : null;
      } catch (error) {
        if (!(error instanceof KeyStoreError) || error.problem === "locked") throw error;
      }
      if (confirm) await vault.restore(phrase);
      return { address: preview.address, previousAddress: previous, kind: preview.kind, replaced: confirm };
    },
  };
}

/** The owner's yes: `--yes`, or "yes" typed at the terminal. */
async function confirmed(question: string, yes: boolean | undefined, input: CommandInput): Promise<boolean> {
  if (yes) return true;
  if (!input.isTTY) throw new UsageError("stdin is not a terminal, so nobody can be asked: add --yes to confirm");
  const answer = await input.readLine(`${question} Type yes to go on: `, false);
  return answer.trim().toLowerCase() === "yes";
}

async function readPhrase(input: CommandInput): Promise<string> {
  const text = input.isTTY ? await input.readLine("Backup phrase (typing is hidden): ", true) : await input.readAll(4096);
  if (text.trim() === "") throw new UsageError("no backup phrase on stdin");
  return text;
}

/** Runs `offpeak wallet …` with the arguments after `wallet`; returns the exit code. */
export async function runWalletCommand(args: readonly string[], io: CliIo, deps: WalletCommandDeps = {}): Promise<number> {
  const parsed = parseSubcommandArgs("wallet", args, { "data-dir": { type: "string" }, yes: { type: "boolean" }, json: { type: "boolean" } }, WALLET_USAGE, io);
  if (typeof parsed === "number") return parsed;
  const { sub, values, positionals } = parsed;
  if (!["address", "backup", "restore"].includes(sub)) {
    io.err(`offpeak wallet: unknown subcommand "${sub}"\n\n${WALLET_USAGE}`);
    return 2;
  }
  if (positionals.length > 0) {
    const why = sub === "restore" ? "the phrase is read from stdin, never from the command line (shell history would keep it)" : "expected no argument";
    io.err(`offpeak wallet ${sub}: ${why}`);
    return 2;
  }
  const env = deps.env ?? process.env;
  const input = deps.input ?? processInput();
  try {
    const target = (await runningNode(values["data-dir"])) ?? (await directStore(values["data-dir"], env));
    if (sub === "address") {
      const view = await target.view();
      if (values.json) io.out(JSON.stringify(view, null, 2));
      else if (view.address) io.out(view.address);
      if (!view.address) io.err(view.reason ?? "the wallet is not open");
      return view.address ? 0 : 1;
    }
    if (sub === "backup") {
      if (!(await confirmed("Anyone who sees the backup phrase can take this node's earnings.", values.yes, input))) {
        io.err("Nothing was shown.");
        return 1;
      }
      const backup = await target.backup();
      io.out(backup.phrase);
      io.err(`These ${backup.phrase.replace(/^key:\s*/, "").split(" ").length} words restore ${backup.address}. Write them down and keep them offline.`);
      if (backup.kind === "raw-key") io.err('This phrase is the key itself (it starts with "key:"): restore it with `offpeak wallet restore`, not in another wallet app.');
      return 0;
    }
    const phrase = await readPhrase(input);
    const preview = await target.restore(phrase, false);
    const replaces = preview.previousAddress ? `; it replaces ${preview.previousAddress}, which is lost unless you have its backup phrase` : "";
    io.err(`This phrase restores ${preview.address}${replaces}.`);
    if (!(await confirmed("Replace the node's key?", values.yes, input))) {
      io.err("Nothing was changed.");
      return 1;
    }
    const done = await target.restore(phrase, true);
    io.out(done.address);
    return 0;
  } catch (error) {
    io.err(`offpeak wallet ${sub}: ${(error as Error).message}`);
    return error instanceof UsageError ? 2 : 1;
  }
}
