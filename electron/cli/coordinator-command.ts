/**
 * `offpeak coordinator`: the network service on its own, on PGlite (a folder) or PostgreSQL.
 */
import { randomBytes } from "node:crypto";
import { startCoordinator } from "../../coordinator/coordinator";
import { isPostgresUrl, openDatabase } from "../../coordinator/db";
import { withdrawalOptionsFromEnv } from "../../coordinator/payout-config";
import { ledgerSettingsFromEnv } from "../../coordinator/ledger-config";
import { clusterOptionsFromEnv } from "../../coordinator/cluster-config";
import type { CliValues } from "./cli-options";
import { createPinoLogger } from "../../coordinator/pino-logger";
import type { CliIo } from "./main";
import { parsePort } from "./main";

/** Starts the coordinator and prints its node URL and admin token. */
export async function runCoordinatorCommand(values: CliValues, io: CliIo): Promise<number> {
  // The network service logs structured JSON lines (pino) for log collectors.
  const logger = createPinoLogger({ level: values.verbose ? "debug" : "info", name: "offpeak-coordinator" });
  const adminToken = process.env.OFFPEAK_ADMIN_TOKEN || randomBytes(24).toString("hex");
  // A wrong payout setting stops the start before the database is opened.
  const withdrawals = (await withdrawalOptionsFromEnv(process.env)) ?? undefined;
  const { feeBps, verificationWindowMs, appealWindowMs } = ledgerSettingsFromEnv(process.env);
  const cluster = clusterOptionsFromEnv(process.env, values.db);
  const db = await openDatabase(values.db);
  let coordinator;
  try {
    // PGlite is opened by one process only, so every job still running in it was left by a
    // coordinator that stopped without closing it; on PostgreSQL other instances may be running.
    const orphanJobs = { soleInstance: !isPostgresUrl(values.db) };
    coordinator = await startCoordinator({ db, adminToken, port: parsePort(values.port) ?? 0, host: values.host, logger, withdrawals, feeBps, verificationWindowMs, appealWindowMs, cluster, orphanJobs });
  } catch (error) {
    await db.close();
    throw error;
  }
  if (!withdrawals) io.err("Withdrawals: off (set OFFPEAK_PAYOUT_RPC_URL, OFFPEAK_PAYOUT_CHAIN_ID and OFFPEAK_PAYOUT_TOKEN to pay out)");
  else if (!withdrawals.chain) io.err("Withdrawals: taken here, paid by a coordinator that has the treasury key (none set)");
  else io.err(`Withdrawals: paid in ${withdrawals.terms.tokenSymbol} on chain ${withdrawals.terms.chainId}`);
  if (!values.db) io.err("Database: in memory (pass --db DIR or --db postgres://… to keep the ledger)");
  if (coordinator.clusterInstanceId) io.err(`Cluster: instance ${coordinator.clusterInstanceId}, sharing nodes with the other instances on this database`);
  io.out(`OFFPEAK_COORDINATOR_URL=${coordinator.wsUrl}`);
  io.out(`OFFPEAK_ADMIN_TOKEN=${adminToken}`);
  io.out(`OPENAI_BASE_URL=${coordinator.url}/v1`);
  await io.stopSignal;
  await coordinator.close();
  await db.close();
  return 0;
}
