/**
 * A private network on one machine: the embedded coordinator (PGlite in the data folder) with
 * this machine as its first node, and a consumer key with starting credit. What `offpeak up`
 * and the desktop app run.
 */
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ledgerSettingsFromEnv } from "../../coordinator/ledger-config";
import { withdrawalOptionsFromEnv } from "../../coordinator/payout-config";
import { startCoordinator } from "../../coordinator/coordinator";
import { openDatabase } from "../../coordinator/db";
import type { ControlApi } from "../../shared/control-api";
import type { Logger } from "../../shared/logger";
import { silentLogger } from "../../shared/logger";
import { MICRO_PER_USD } from "../../shared/money";
import { prepareDataDir, resolveDataDir } from "./data-dir";
import { startNodeHost } from "./node-host";
import type { SettingsStore } from "./settings-store";
import type { WorkerSpawner } from "./worker-spawner";
import type { SignalSampler } from "./signals/signal-sampler";
import type { SignalSources } from "./signals/signal-sources";

/** Credit given to the local consumer key on first run: $10. */
export const STARTING_CREDIT_MICRO_USD = 10 * MICRO_PER_USD;

export interface LocalNetworkOptions {
  readonly dataDir?: string;
  readonly modelPath?: string;
  /** The coordinator's port (0 or absent: any free one). */
  readonly port?: number;
  readonly logger?: Logger;
  readonly spawner?: WorkerSpawner;
  /** Where the sharing signals come from (the desktop app passes its Electron sampler). */
  readonly sampler?: SignalSampler;
  /** Sources that replace some of this platform's own (the desktop app's powerMonitor). */
  readonly signalSources?: Partial<SignalSources>;
  /** The owner's settings (the desktop app passes the store it also watches); default: settings.json in the data folder. */
  readonly settings?: SettingsStore;
}

export interface LocalNetwork {
  readonly control: ControlApi;
  readonly openaiBaseUrl: string;
  readonly apiKey: string;
  readonly dashboardUrl: string;
  readonly coordinatorUrl: string;
  /** Samples the sharing signals again now (the desktop app calls it on a power or lock event). */
  pokeSharing(): void;
  stop(): Promise<void>;
}

/** Reads a secret kept in the data folder, or creates it with `make` (mode 0600). */
async function persistentSecret(path: string, make: () => Promise<string>): Promise<string> {
  try {
    const text = (await readFile(path, "utf8")).trim();
    if (text) return text;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const value = await make();
  await writeFile(path, `${value}\n`, { mode: 0o600 });
  return value;
}

/** Starts the embedded coordinator and this machine as its first node. */
export async function startLocalNetwork(options: LocalNetworkOptions = {}): Promise<LocalNetwork> {
  const logger = options.logger ?? silentLogger;
  const paths = await prepareDataDir(resolveDataDir(options.dataDir));
  const adminToken = await persistentSecret(join(paths.root, "admin-token"), async () => randomBytes(24).toString("hex"));
  const db = await openDatabase(paths.coordinatorDb);
  // A private network pays out too when the owner gives it a treasury (OFFPEAK_TREASURY_KEY…).
  const withdrawals = (await withdrawalOptionsFromEnv(process.env)) ?? undefined;
  const { feeBps, verificationWindowMs, appealWindowMs } = ledgerSettingsFromEnv(process.env);
  const coordinator = await startCoordinator({ db, adminToken, port: options.port ?? 0, logger, withdrawals, feeBps, verificationWindowMs, appealWindowMs });
  try {
    const apiKey = await persistentSecret(join(paths.root, "consumer-key"), async () => {
      const created = await coordinator.createApiKey(STARTING_CREDIT_MICRO_USD, "local");
      return created.key;
    });
    const node = await startNodeHost({
      coordinatorUrl: coordinator.wsUrl,
      dataDir: paths.root,
      modelPath: options.modelPath,
      logger,
      spawner: options.spawner,
      sampler: options.sampler,
      signalSources: options.signalSources,
      settings: options.settings,
    });
    return {
      control: node.agent,
      openaiBaseUrl: `${coordinator.url}/v1`,
      apiKey,
      dashboardUrl: node.dashboardUrl,
      coordinatorUrl: coordinator.wsUrl,
      pokeSharing: () => void node.monitor.poke(),
      async stop() {
        await node.stop();
        await coordinator.close();
        await db.close();
      },
    };
  } catch (error) {
    await coordinator.close();
    await db.close();
    throw error;
  }
}
