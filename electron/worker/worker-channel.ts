/**
 * The worker's end of its IPC channel: Electron's `process.parentPort` when it runs as a utility
 * process, Node's child-process channel (`process.send`) otherwise. Chosen once at start.
 */

/** A message channel to the agent. Incoming messages are unparsed; the caller validates them. */
export interface WorkerChannel {
  send(message: unknown): void;
  onMessage(callback: (message: unknown) => void): void;
  /** Called once when the agent goes away (its end of the channel closed). */
  onDisconnect(callback: () => void): void;
}

interface ParentPortLike {
  on(event: "message", listener: (event: { data: unknown }) => void): unknown;
  postMessage(message: unknown): void;
}

/** Opens the channel this process was started with, or returns null when there is none. */
export function openWorkerChannel(proc: NodeJS.Process = process): WorkerChannel | null {
  const parentPort = (proc as NodeJS.Process & { parentPort?: ParentPortLike }).parentPort;
  if (parentPort) {
    return {
      send: (message) => parentPort.postMessage(message),
      onMessage: (callback) => {
        parentPort.on("message", (event) => callback(event.data));
      },
      // A utility process is ended by Electron together with its parent.
      onDisconnect: () => {},
    };
  }
  if (typeof proc.send === "function") {
    return {
      send: (message) => {
        if (!proc.connected) return;
        proc.send?.(message as never, undefined, {}, (error: Error | null) => {
          if (error) process.stderr.write(`worker: could not send a message: ${error.message}\n`);
        });
      },
      onMessage: (callback) => {
        proc.on("message", (message: unknown) => callback(message));
      },
      onDisconnect: (callback) => {
        if (!proc.connected) callback();
        else proc.once("disconnect", callback);
      },
    };
  }
  return null;
}
