/**
 * A real headless host for browser specs: `offpeak up` as a person runs it (coordinator + node,
 * the built dashboard), started on a throwaway data folder and stopped by the spec.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

const repoRoot = path.resolve(import.meta.dirname, "..", "..");
const START_TIMEOUT_MS = 170_000;
const STOP_TIMEOUT_MS = 20_000;

/** A running `offpeak up` and the lines it printed (`DASHBOARD_URL`, `OPENAI_BASE_URL`, `OPENAI_API_KEY`). */
export interface LiveHost {
  readonly dashboardUrl: string;
  readonly printed: ReadonlyMap<string, string>;
  /** Stops the process (SIGTERM, then SIGKILL if it does not exit in time); safe to call twice. */
  stop(): Promise<void>;
}

/** A fresh data folder; `onboarded` marks the first-run setup as finished (onboarding-fake.spec.ts covers it). */
export async function makeLiveDataDir(prefix: string, options: { onboarded?: boolean } = {}): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  if (options.onboarded) await writeFile(path.join(dir, "settings.json"), JSON.stringify({ onboarded: true }));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/** Starts `offpeak up --data-dir <dataDir> --port 0` on the CPU and waits for its DASHBOARD_URL. */
export async function startLiveHost(dataDir: string, env: NodeJS.ProcessEnv = {}): Promise<LiveHost> {
  const child = spawn(process.execPath, [path.join(repoRoot, "bin", "offpeak.mjs"), "up", "--data-dir", dataDir, "--port", "0"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NODE_LLAMA_CPP_GPU: "false", ...env },
  });
  const printed = new Map<string, string>();
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  let pending = "";
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`offpeak up printed no DASHBOARD_URL in time: ${stderr}`)), START_TIMEOUT_MS);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`offpeak up exited ${code}: ${stderr}`));
      });
      child.stdout?.on("data", (d: Buffer) => {
        // Only whole lines: a line cut between two chunks would give a truncated address.
        const lines = (pending + d.toString()).split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines) {
          const eq = line.indexOf("=");
          if (eq > 0) printed.set(line.slice(0, eq), line.slice(eq + 1).trim());
        }
        if (printed.has("DASHBOARD_URL")) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  } catch (error) {
    await stopProcess(child);
    throw error;
  }
  return { dashboardUrl: printed.get("DASHBOARD_URL") ?? "", printed, stop: () => stopProcess(child) };
}
