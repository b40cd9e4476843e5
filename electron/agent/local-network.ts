/**
 * A private network on one machine: the embedded coordinator (PGlite in the data folder) with
 * this machine as its first node, and a consumer key with starting credit. What `offpeak up`
 * and the desktop app run.
 */
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startCoordinator } from "../../coordinator/coordinator";
import { openDatabase } from "../../coordinator/db";
import type { ControlApi } from "../../shared/control-api";
import type { Logger } from "../../shared/logger";
import { silentLogger } from "../../shared/logger";
import { MICRO_PER_USD } from "../../shared/money";
import { prepareDataDir, resolveDataDir } from "./data-dir";
import { startNodeHost } from "./node-host";
import type { WorkerSpawner } from "./worker-spawner";
import type { SignalSampler } from "./signals/signal-sampler";

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
}

export interface LocalNetwork {
  readonly control: ControlApi;
  readonly openaiBaseUrl: string;
  readonly apiKey: string;
  readonly dashboardUrl: string;
  readonly coordinatorUrl: string;
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
  const coordinator = await startCoordinator({ db, adminToken, port: options.port ?? 0, logger });
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
    });
    return {
      control: node.agent,
      openaiBaseUrl: `${coordinator.url}/v1`,
      apiKey,
      dashboardUrl: node.dashboardUrl,
      coordinatorUrl: coordinator.wsUrl,
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
