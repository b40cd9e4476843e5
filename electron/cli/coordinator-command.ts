/**
 * `offpeak coordinator`: the network service on its own, on PGlite (a folder) or PostgreSQL.
 */
import { randomBytes } from "node:crypto";
import { startCoordinator } from "../../coordinator/coordinator";
import { openDatabase } from "../../coordinator/db";
import type { CliValues } from "./cli-options";
import { createConsoleLogger } from "./console-logger";
import type { CliIo } from "./main";
import { parsePort } from "./main";

/** Starts the coordinator and prints its node URL and admin token. */
export async function runCoordinatorCommand(values: CliValues, io: CliIo): Promise<number> {
  const logger = createConsoleLogger(values.verbose ? "debug" : "info");
  const adminToken = process.env.OFFPEAK_ADMIN_TOKEN || randomBytes(24).toString("hex");
  const db = await openDatabase(values.db);
  const coordinator = await startCoordinator({ db, adminToken, port: parsePort(values.port) ?? 0, host: values.host, logger });
  if (!values.db) io.err("Database: in memory (pass --db DIR or --db postgres://… to keep the ledger)");
  io.out(`OFFPEAK_COORDINATOR_URL=${coordinator.wsUrl}`);
  io.out(`OFFPEAK_ADMIN_TOKEN=${adminToken}`);
  io.out(`OPENAI_BASE_URL=${coordinator.url}/v1`);
  await io.stopSignal;
  await coordinator.close();
  await db.close();
  return 0;
}
