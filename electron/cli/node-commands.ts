/**
 * `offpeak up` (coordinator + this node) and `offpeak node` (join a coordinator).
 */
import { resolveDataDir } from "../agent/data-dir";
import { startLocalNetwork } from "../agent/local-network";
import { startNodeHost } from "../agent/node-host";
import type { CliValues } from "./cli-options";
import { createConsoleLogger } from "./console-logger";
import { prepareElectron, runDesktopApp } from "./electron-launcher";
import type { CliIo } from "./main";
import { parsePort } from "./main";

/** `offpeak up`: prints OPENAI_BASE_URL, OPENAI_API_KEY and DASHBOARD_URL, then serves until stopped. */
export async function runUpCommand(values: CliValues, io: CliIo): Promise<number> {
  const logger = createConsoleLogger(values.verbose ? "debug" : "warn");
  const port = parsePort(values.port);
  const electron = prepareElectron();
  if (electron.ok) {
    io.err("Opening the Offpeak desktop app.");
    const env: Record<string, string> = { OFFPEAK_DATA_DIR: resolveDataDir(values["data-dir"]) };
    if (values.model) env.OFFPEAK_MODEL = values.model;
    if (port !== undefined) env.OFFPEAK_PORT = String(port);
    return runDesktopApp(electron.path, env);
  }
  io.err(`Running headless: the desktop app cannot start here (${electron.reason}).`);
  const network = await startLocalNetwork({
    dataDir: values["data-dir"],
    modelPath: values.model,
    port,
    logger,
  });
  const state = await network.control.getState();
  if (state.ok && state.value.model?.demo) io.err(`Model: ${state.value.model.label} — answers are gibberish; pass --model PATH for a real one.`);
  if (state.ok && state.value.wallet.state !== "ready") io.err(`Not earning: ${state.value.wallet.reason ?? "the wallet is not open"}`);
  io.out(`OPENAI_BASE_URL=${network.openaiBaseUrl}`);
  io.out(`OPENAI_API_KEY=${network.apiKey}`);
  io.out(`DASHBOARD_URL=${network.dashboardUrl}`);
  await io.stopSignal;
  await network.stop();
  return 0;
}

/** `offpeak node --coordinator URL`: joins a coordinator and serves until stopped. */
export async function runNodeCommand(values: CliValues, io: CliIo): Promise<number> {
  if (!values.coordinator) {
    io.err("offpeak node: --coordinator URL is required (the OFFPEAK_COORDINATOR_URL that `offpeak coordinator` printed)");
    return 2;
  }
  if (!/^wss?:\/\//.test(values.coordinator)) {
    io.err(`offpeak node: --coordinator must be a ws:// or wss:// address, got "${values.coordinator}"`);
    return 2;
  }
  const logger = createConsoleLogger(values.verbose ? "debug" : "warn");
  const host = await startNodeHost({
    coordinatorUrl: values.coordinator,
    dataDir: resolveDataDir(values["data-dir"]),
    modelPath: values.model,
    logger,
  });
  const wallet = await host.agent.getWallet();
  if (wallet.ok && wallet.value.state !== "ready") io.err(`Not earning: ${wallet.value.reason ?? "the wallet is not open"}`);
  io.out(`OFFPEAK_NODE_ADDRESS=${host.agent.address}`);
  io.out(`DASHBOARD_URL=${host.dashboardUrl}`);
  await io.stopSignal;
  await host.stop();
  return 0;
}
