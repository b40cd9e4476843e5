/**
 * Entry point of the inference worker process. It is started by the agent's worker spawner
 * with an IPC channel (Node's child-process channel, or Electron's utility-process port),
 * answers with `ready`, and then serves `load`, `generate`, `cancel` and `shutdown`.
 */
import { openWorkerChannel } from "./worker-channel";
import { WorkerService } from "./worker-service";

const channel = openWorkerChannel();
if (!channel) {
  process.stderr.write("The inference worker must be started by the Offpeak agent (no IPC channel).\n");
  process.exit(2);
}

process.on("uncaughtException", (error) => {
  process.stderr.write(`worker: unexpected error: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
process.on("unhandledRejection", (reason) => {
  process.stderr.write(`worker: unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}\n`);
  process.exit(1);
});

new WorkerService({ channel, pid: process.pid, exit: (code) => process.exit(code) }).start();
