/**
 * Test support: starts and stops coordinator instances of a cluster as child processes
 * (cluster-instance.ts), each on the PostgreSQL database at `dbUrl`.
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ClusterInstanceReply } from "./cluster-instance";

const SCRIPT = fileURLToPath(new URL("./cluster-instance.ts", import.meta.url));

/** A running instance. */
export interface ClusterInstance {
  readonly url: string;
  readonly wsUrl: string;
  readonly instanceId: string;
  readonly child: ChildProcess;
}

/** Starts an instance; `env` adds settings (OFFPEAK_CLUSTER_HEARTBEAT_MS, OFFPEAK_TEST_VERIFICATION …). */
export function startClusterInstance(dbUrl: string, instanceId: string, env: Record<string, string> = {}): Promise<ClusterInstance> {
  const childEnv = { ...process.env, OFFPEAK_TEST_DB: dbUrl, OFFPEAK_CLUSTER: "1", OFFPEAK_INSTANCE_ID: instanceId, ...env };
  const child = fork(SCRIPT, [], { execArgv: ["--import", "tsx"], env: childEnv, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  return new Promise<ClusterInstance>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`instance ${instanceId} did not start in time`)), 60_000);
    child.once("message", (m: ClusterInstanceReply) => {
      clearTimeout(timer);
      if (m.type === "ready") resolve({ ...m, child });
      else reject(new Error(`instance ${instanceId} failed: ${m.error}`));
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`instance ${instanceId} exited while starting (code ${code})`));
    });
  }).catch((err: unknown) => {
    child.kill("SIGKILL");
    throw err;
  });
}

/** Stops an instance: cleanly, or with SIGKILL (a crash). Resolves once it exited. */
export async function stopClusterInstance(instance: ClusterInstance | undefined, signal?: "SIGKILL"): Promise<void> {
  const child = instance?.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  if (signal) child.kill(signal);
  else child.send({ cmd: "stop" });
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}
