/**
 * The server side of the coordinator load bench, run in its own process (forked by
 * `coordinator-load.ts`) so that its memory and CPU are not mixed with the simulated nodes' and
 * the consumers'. `argv[2]` picks the server:
 * - `coordinator`: a coordinator on an in-memory PGlite, verification off, rate limits high;
 * - `coordinator-db`: a coordinator on the database at BENCH_LOAD_DB (e.g. a PostgreSQL URL), on
 *   port BENCH_LOAD_PORT (default any), the only coordinator on it (the chaos bench kills and
 *   restarts it on the same port and database);
 * - `baseline`: a minimal node:http server that streams given SSE events on 127.0.0.1, one event
 *   per tick of the same timer the simulated nodes pace their tokens with.
 * Over IPC it answers `{ cmd: "memory" }` with `process.memoryUsage()` taken after a full GC
 * (the process runs with --expose-gc) and its CPU time so far, `{ cmd: "profile", dir }` by
 * starting a CPU profile (dir: null) or writing the one running into `dir`, and `{ cmd: "stop" }`
 * by closing and exiting.
 */
import { writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { Session } from "node:inspector/promises";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startCoordinator } from "../coordinator/coordinator";
import { openDatabase } from "../coordinator/db";
import { silentLogger } from "../shared/logger";

/** Messages the bench sends to this process. */
export type LoadServerCommand = { readonly cmd: "memory" } | { readonly cmd: "stop" } | { readonly cmd: "profile"; readonly dir: string | null };

/** Messages this process sends to the bench. */
export type LoadServerReply =
  | { readonly type: "ready"; readonly url: string; readonly wsUrl: string }
  | { readonly type: "memory"; readonly usage: NodeJS.MemoryUsage; readonly cpu: NodeJS.CpuUsage }
  | { readonly type: "profiled"; readonly path: string | null }
  | { readonly type: "failed"; readonly error: string };

export const LOAD_ADMIN_TOKEN = "bench-load-admin-token-0123456789";

function reply(message: LoadServerReply): void {
  process.send?.(message);
}

async function settledMemory(): Promise<NodeJS.MemoryUsage> {
  const gc = (globalThis as { gc?: () => void }).gc;
  // Two passes with a turn of the loop between them: the first can only queue finalizers.
  gc?.();
  await new Promise((r) => setImmediate(r));
  gc?.();
  return process.memoryUsage();
}

/** The baseline: the same SSE events, written as they "arrive" from an in-process timer. */
async function startBaseline(events: readonly string[], tokenIntervalMs: number): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    // Read the request body like the coordinator does before it answers.
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive" });
      res.flushHeaders();
      let i = 0;
      const next = () => {
        if (res.destroyed) return;
        if (i >= events.length) {
          res.end();
          return;
        }
        res.write(events[i++]);
        setTimeout(next, tokenIntervalMs);
      };
      setTimeout(next, tokenIntervalMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A CPU profile of just the loaded part of the run: started and written on command. */
async function profile(session: Session, dir: string | null): Promise<string | null> {
  if (dir === null) {
    session.connect();
    await session.post("Profiler.enable");
    await session.post("Profiler.start");
    return null;
  }
  const { profile: result } = await session.post("Profiler.stop");
  session.disconnect();
  const path = resolve(dir, `${process.argv[2]}-${process.pid}-${Date.now()}.cpuprofile`);
  await writeFile(path, JSON.stringify(result));
  return path;
}

async function main(): Promise<void> {
  const kind = process.argv[2];
  let close: () => Promise<void>;
  if (kind === "coordinator") {
    const db = await openDatabase(undefined);
    const coordinator = await startCoordinator({
      db,
      adminToken: LOAD_ADMIN_TOKEN,
      logger: silentLogger,
      verification: false,
      requestsPerMinute: 1_000_000,
      maxQueueLength: 10_000,
    });
    close = async () => {
      await coordinator.close();
      await db.close();
    };
    reply({ type: "ready", url: coordinator.url, wsUrl: coordinator.wsUrl });
  } else if (kind === "coordinator-db") {
    const db = await openDatabase(process.env.BENCH_LOAD_DB);
    const coordinator = await startCoordinator({
      db,
      port: Number(process.env.BENCH_LOAD_PORT ?? 0),
      adminToken: LOAD_ADMIN_TOKEN,
      logger: silentLogger,
      verification: false,
      requestsPerMinute: 1_000_000,
      maxQueueLength: 10_000,
      maxQueueWaitMs: Number(process.env.BENCH_LOAD_QUEUE_WAIT_MS ?? 15_000),
      dispatchTimeoutMs: Number(process.env.BENCH_LOAD_DISPATCH_TIMEOUT_MS ?? 30_000),
      heartbeatMs: Number(process.env.BENCH_LOAD_HEARTBEAT_MS ?? 15_000),
      orphanJobs: { soleInstance: true },
    });
    close = async () => {
      await coordinator.close();
      await db.close();
    };
    reply({ type: "ready", url: coordinator.url, wsUrl: coordinator.wsUrl });
  } else if (kind === "baseline") {
    const events = JSON.parse(process.env.BENCH_LOAD_EVENTS ?? "[]") as string[];
    const baseline = await startBaseline(events, Number(process.env.BENCH_LOAD_TOKEN_INTERVAL_MS ?? 0));
    close = baseline.close;
    reply({ type: "ready", url: baseline.url, wsUrl: "" });
  } else {
    throw new Error(`unknown server kind: ${kind}`);
  }
  let stopping = false;
  const session = new Session();
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await close();
    process.exit(0);
  };
  process.on("message", (msg: LoadServerCommand) => {
    if (msg.cmd === "memory") void settledMemory().then((usage) => reply({ type: "memory", usage, cpu: process.cpuUsage() }));
    else if (msg.cmd === "profile") void profile(session, msg.dir).then((path) => reply({ type: "profiled", path }));
    else if (msg.cmd === "stop") void stop();
  });
  // The bench went away without a stop: do not outlive it.
  process.on("disconnect", () => void stop());
}

// Only as the forked process: the bench imports this module for its types and token.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    reply({ type: "failed", error: String(err) });
    process.exit(1);
  });
}
