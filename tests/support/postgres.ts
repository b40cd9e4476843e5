/**
 * Test support: a throwaway PostgreSQL server. Each call runs `initdb` into a fresh temporary
 * folder, starts `postgres` on 127.0.0.1 at a free port (trust authentication, fsync off),
 * creates one database and returns its URL; `stop()` shuts the server down and deletes the folder.
 *
 * When the tests run as root the server runs as the `postgres` system user, because initdb and
 * postgres refuse to run as root.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { chown, mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import pg from "pg";

/** What to do when PostgreSQL is missing. */
export const POSTGRES_INSTALL_HINT =
  "PostgreSQL is not installed: the tests that need it start a throwaway server with its initdb and postgres programs. " +
  "Install it (Debian/Ubuntu: `apt-get install postgresql`; macOS: `brew install postgresql`), or set OFFPEAK_POSTGRES_BIN to the folder holding initdb.";

/** A running throwaway server. */
export interface ThrowawayPostgres {
  /** postgres://postgres@127.0.0.1:<port>/<database> */
  readonly url: string;
  /** Shuts the server down and removes its data folder. */
  stop(): Promise<void>;
}

/** Options for tests that need to watch the start. */
export interface ThrowawayPostgresOptions {
  /** Name of the database to create (default offpeak_test). */
  readonly database?: string;
  /** Longest wait for the server to accept connections (default 30 s). */
  readonly readyTimeoutMs?: number;
  /** Folder holding initdb and postgres (default: findPostgresBinDir()). */
  readonly binDir?: string;
}

const START_ATTEMPTS = 3;
const STOP_TIMEOUT_MS = 10_000;
const LOG_TAIL_CHARS = 4_000;

/**
 * The folder holding `initdb` and `postgres`, or null when PostgreSQL is not installed.
 * Looks at OFFPEAK_POSTGRES_BIN, `pg_config --bindir`, PATH, then /usr/lib/postgresql/<version>/bin.
 */
export function findPostgresBinDir(env: NodeJS.ProcessEnv = process.env, debianRoot = "/usr/lib/postgresql"): string | null {
  const candidates: string[] = [];
  if (env.OFFPEAK_POSTGRES_BIN) candidates.push(env.OFFPEAK_POSTGRES_BIN);
  const pgConfig = spawnSync("pg_config", ["--bindir"], { encoding: "utf8", timeout: 5_000, env });
  if (pgConfig.status === 0 && pgConfig.stdout.trim()) candidates.push(pgConfig.stdout.trim());
  candidates.push(...(env.PATH ?? "").split(delimiter).filter(Boolean));
  if (existsSync(debianRoot)) {
    const versions = readdirSync(debianRoot)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => join(debianRoot, v, "bin")));
  }
  return candidates.find(hasServer) ?? null;
}

function hasServer(dir: string): boolean {
  const exe = process.platform === "win32" ? ".exe" : "";
  return existsSync(join(dir, `initdb${exe}`)) && existsSync(join(dir, `postgres${exe}`));
}

/**
 * Why tests needing PostgreSQL are skipped, or null when they must run. They are skipped only on
 * a macOS or Windows development machine without PostgreSQL; on Linux (and in CI) a missing
 * PostgreSQL is a failure, reported by startThrowawayPostgres with POSTGRES_INSTALL_HINT.
 */
export function postgresSkipReason(
  platform: NodeJS.Platform = process.platform,
  ci: boolean = Boolean(process.env.CI),
  findBinDir: () => string | null = () => findPostgresBinDir(),
): string | null {
  if ((platform !== "darwin" && platform !== "win32") || ci) return null;
  return findBinDir() === null ? POSTGRES_INSTALL_HINT : null;
}

/** Starts a throwaway PostgreSQL server with one empty database. */
export async function startThrowawayPostgres(options: ThrowawayPostgresOptions = {}): Promise<ThrowawayPostgres> {
  const binDir = options.binDir ?? findPostgresBinDir();
  if (!binDir || !hasServer(binDir)) throw new Error(POSTGRES_INSTALL_HINT);
  const database = options.database ?? "offpeak_test";
  if (!/^[a-z_][a-z0-9_]*$/.test(database)) throw new RangeError(`database name must be a plain identifier, got ${database}`);
  const owner = serverUser();
  const root = await mkdtemp(join(tmpdir(), "offpeak-pg-"));
  try {
    const dataDir = join(root, "data");
    const socketDir = join(root, "socket");
    await mkdir(socketDir);
    if (owner) {
      await chown(root, owner.uid, owner.gid);
      await chown(socketDir, owner.uid, owner.gid);
    }
    await runToEnd(
      join(binDir, "initdb"),
      ["-D", dataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions"],
      root,
      owner,
      60_000,
    );
    let lastError: unknown;
    for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
      const port = await freePort();
      const server = launch(join(binDir, "postgres"), dataDir, socketDir, port, root, owner);
      try {
        await waitUntilReady(server, port, options.readyTimeoutMs ?? 30_000);
        await createDatabase(port, database);
      } catch (err) {
        lastError = err;
        await server.stop();
        if (!server.exited() || !/could not bind|address already in use/i.test(server.log())) break;
        continue;
      }
      const url = `postgres://postgres@127.0.0.1:${port}/${database}`;
      let stopping: Promise<void> | null = null;
      return {
        url,
        stop: () =>
          (stopping ??= (async () => {
            await server.stop();
            await rm(root, { recursive: true, force: true });
          })()),
      };
    }
    throw lastError;
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    throw err;
  }
}

/** The system user the server runs as when we are root, or null to run as ourselves. */
function serverUser(): { uid: number; gid: number } | null {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return null;
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith("postgres:"));
  const fields = line?.split(":");
  const uid = Number(fields?.[2]);
  const gid = Number(fields?.[3]);
  if (!fields || !Number.isInteger(uid) || !Number.isInteger(gid)) {
    throw new Error("Running as root, but there is no `postgres` system user to run the test server as (the postgresql package creates it).");
  }
  return { uid, gid };
}

function childEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", LC_ALL: "C", LANG: "C", TZ: "UTC" };
}

/** Runs a program to its end, failing with its output when it exits non-zero or runs too long. */
function runToEnd(program: string, args: string[], cwd: string, owner: { uid: number; gid: number } | null, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { cwd, env: childEnv(), stdio: ["ignore", "pipe", "pipe"], ...(owner ?? {}) });
    let output = "";
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-LOG_TAIL_CHARS);
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${program} failed (${signal ?? `exit ${code}`}):\n${output}`));
    });
  });
}

/** A port nobody listens on right now on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

interface ServerProcess {
  exited(): boolean;
  log(): string;
  stop(): Promise<void>;
}

/** Starts the postmaster; it is killed if this process exits without stopping it. */
function launch(program: string, dataDir: string, socketDir: string, port: number, cwd: string, owner: { uid: number; gid: number } | null): ServerProcess {
  const args = ["-D", dataDir, "-k", socketDir, "-p", String(port), "-h", "127.0.0.1"];
  for (const setting of ["fsync=off", "listen_addresses=127.0.0.1", "synchronous_commit=off", "full_page_writes=off", "max_connections=50"]) {
    args.push("-c", setting);
  }
  const child: ChildProcess = spawn(program, args, { cwd, env: childEnv(), stdio: ["ignore", "pipe", "pipe"], ...(owner ?? {}) });
  let log = "";
  const collect = (chunk: Buffer) => {
    log = (log + chunk.toString("utf8")).slice(-LOG_TAIL_CHARS);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.on("error", (err) => {
      log += `\n${err.message}`;
      exited = true;
      resolve();
    });
    child.on("exit", () => {
      exited = true;
      resolve();
    });
  });
  // SIGQUIT is PostgreSQL's immediate shutdown: the only one a synchronous exit handler can send.
  const killOnExit = () => {
    if (!exited) child.kill("SIGQUIT");
  };
  process.on("exit", killOnExit);
  return {
    exited: () => exited,
    log: () => log,
    async stop() {
      process.off("exit", killOnExit);
      if (exited) return;
      child.kill("SIGINT"); // fast shutdown: ends sessions, checkpoints, exits
      if (await settlesWithin(exit, STOP_TIMEOUT_MS)) return;
      child.kill("SIGKILL");
      await settlesWithin(exit, STOP_TIMEOUT_MS);
    },
  };
}

function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void promise.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Retries a connection every 50 ms until the server answers, exits, or `timeoutMs` passes. */
async function waitUntilReady(server: ServerProcess, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = "";
  while (Date.now() < deadline) {
    if (server.exited()) throw new Error(`postgres exited while starting:\n${server.log()}`);
    const client = new pg.Client({ host: "127.0.0.1", port, user: "postgres", database: "postgres", connectionTimeoutMillis: 2_000 });
    client.on("error", () => {});
    try {
      await client.connect();
      await client.query("SELECT 1");
      return;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    } finally {
      await client.end().catch(() => {});
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`postgres did not accept connections on port ${port} within ${timeoutMs} ms (last error: ${lastError}):\n${server.log()}`);
}

async function createDatabase(port: number, database: string): Promise<void> {
  const client = new pg.Client({ host: "127.0.0.1", port, user: "postgres", database: "postgres" });
  client.on("error", () => {});
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${database}`);
  } finally {
    await client.end();
  }
}
