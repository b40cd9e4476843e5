/**
 * A stand-in worker for the sandbox tests: started exactly as the inference worker is (same
 * spawner, same sandbox command line), it tries what a hostile model file or prompt would try —
 * reach the network, read the owner's files, write outside its home — and reports what happened
 * over its IPC channel. It is not part of the product.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { networkInterfaces } from "node:os";
import { z } from "zod";

/** What the test asks the probe to try. */
export const probeRequestSchema = z.object({
  connect: z.object({ host: z.string(), port: z.number().int() }),
  read: z.array(z.string()),
  write: z.array(z.string()),
  list: z.array(z.string()),
  exists: z.array(z.string()),
  /** A file the probe rewrites every 50 ms until it dies, so the test can tell that it is gone. */
  heartbeat: z.string().nullable(),
});
export type ProbeRequest = z.infer<typeof probeRequestSchema>;

/** What the probe saw: "ok" or the error code of each attempt. */
export interface ProbeReport {
  readonly connect: string;
  readonly read: Record<string, string>;
  readonly write: Record<string, string>;
  readonly list: Record<string, string[] | string>;
  readonly exists: Record<string, boolean>;
  readonly env: Record<string, string | undefined>;
  readonly interfaces: string[];
}

function code(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? String(error);
}

function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve("ETIMEDOUT");
    }, 3000);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.end();
      resolve("ok");
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      resolve(code(error));
    });
  });
}

async function runProbe(request: ProbeRequest): Promise<ProbeReport> {
  const attempt = (action: () => void): string => {
    try {
      action();
      return "ok";
    } catch (error) {
      return code(error);
    }
  };
  const list: Record<string, string[] | string> = {};
  for (const path of request.list) {
    try {
      list[path] = readdirSync(path);
    } catch (error) {
      list[path] = code(error);
    }
  }
  return {
    connect: await tryConnect(request.connect.host, request.connect.port),
    read: Object.fromEntries(request.read.map((path) => [path, attempt(() => readFileSync(path))])),
    write: Object.fromEntries(request.write.map((path) => [path, attempt(() => writeFileSync(path, "probe"))])),
    list,
    exists: Object.fromEntries(request.exists.map((path) => [path, existsSync(path)])),
    env: { ...process.env },
    interfaces: Object.keys(networkInterfaces()),
  };
}

process.on("message", (raw: unknown) => {
  const request = probeRequestSchema.safeParse(raw);
  if (!request.success) {
    process.send?.({ error: request.error.message });
    return;
  }
  const heartbeat = request.data.heartbeat;
  if (heartbeat) {
    setInterval(() => writeFileSync(heartbeat, String(Date.now())), 50);
    process.send?.({ beating: true });
    return;
  }
  void runProbe(request.data).then((report) => process.send?.(report, () => process.exit(0)));
});
