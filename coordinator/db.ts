/**
 * The coordinator's database: PGlite (embedded, a folder or in memory) or PostgreSQL (a
 * `postgres://` URL), behind one small interface and one SQL dialect. Migrations from
 * ./migrations are applied when the database is opened.
 */
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { MIGRATIONS } from "./migrations";

/** Anything that runs a parameterised SQL statement ($1, $2 … placeholders). */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<{ rows: T[] }>;
}

/** The database the coordinator keeps its ledger in. */
export interface Database extends Queryable {
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** The postgres:// URL when this is a PostgreSQL database (several processes can share it). */
  readonly postgresUrl?: string;
}

/** Lock id that serialises migrations when several coordinators share one PostgreSQL. */
const MIGRATION_LOCK_ID = 720_913_551;

/** True for a `postgres://` or `postgresql://` URL (anything else opens PGlite). */
export function isPostgresUrl(target: string | undefined): target is string {
  return target !== undefined && /^postgres(ql)?:\/\//.test(target);
}

/**
 * Opens the database at `target` and applies pending migrations: undefined = PGlite in memory,
 * `postgres://…` / `postgresql://…` = a PostgreSQL pool, anything else = a PGlite data folder.
 */
export async function openDatabase(target: string | undefined): Promise<Database> {
  const db = isPostgresUrl(target) ? openPostgres(target) : await openPglite(target);
  try {
    await migrate(db);
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}

async function openPglite(dataDir: string | undefined): Promise<Database> {
  const lite = dataDir ? new PGlite(dataDir) : new PGlite();
  await lite.waitReady;
  const run = (q: { query: PGlite["query"] }) => async <T>(sql: string, params?: readonly unknown[]) => {
    const result = await q.query<T>(sql, params ? [...params] : undefined);
    return { rows: result.rows };
  };
  return {
    query: run(lite),
    transaction: (fn) => lite.transaction((tx) => fn({ query: run(tx) })),
    close: () => lite.close(),
  };
}

function openPostgres(url: string): Database {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // An idle client that loses its connection must not crash the process.
  pool.on("error", () => {});
  return {
    async query<T>(sql: string, params?: readonly unknown[]) {
      const result = await pool.query(sql, params ? [...params] : undefined);
      return { rows: result.rows as T[] };
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      // Every statement of the transaction goes through this one client.
      const client = await pool.connect();
      // A checked-out client whose connection dies emits "error"; unheard, it would crash the
      // process. The failing statement rejects on its own; the client must not go back to the pool.
      let broken: Error | undefined;
      const onError = (err: Error) => {
        broken ??= err;
      };
      client.on("error", onError);
      try {
        await client.query("BEGIN");
        const value = await fn({
          async query<R>(sql: string, params?: readonly unknown[]) {
            const result = await client.query(sql, params ? [...params] : undefined);
            return { rows: result.rows as R[] };
          },
        });
        await client.query("COMMIT");
        return value;
      } catch (err) {
        if (!broken) {
          await client.query("ROLLBACK").catch((rollbackErr: unknown) => {
            broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
          });
        }
        throw err;
      } finally {
        client.off("error", onError);
        // release(err) destroys the connection instead of reusing one in an unknown state.
        client.release(broken);
      }
    },
    close: () => pool.end(),
    postgresUrl: url,
  };
}

/** Applies every migration the database has not recorded yet, each in its own transaction. */
async function migrate(db: Database): Promise<void> {
  // Under the lock too: two concurrent CREATE TABLE IF NOT EXISTS can both try to create it, and
  // the loser fails with a duplicate key in pg_type.
  await db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_ID})`);
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
  });
  for (let i = 0; i < MIGRATIONS.length; i++) {
    const version = i + 1;
    const sql = MIGRATIONS[i] as string;
    await db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_ID})`);
      const done = await tx.query(`SELECT 1 FROM schema_migrations WHERE version = $1`, [version]);
      if (done.rows.length > 0) return;
      await tx.query(sql);
      await tx.query(`INSERT INTO schema_migrations (version) VALUES ($1)`, [version]);
    });
  }
}

/**
 * Converts a BIGINT / NUMERIC value as a driver returns it (number, bigint or decimal string) to
 * a JS number, refusing anything that is not a safe integer. NULL counts as 0.
 */
export function toSafeInteger(value: unknown): number {
  if (value === null || value === undefined) return 0;
  let n: number;
  if (typeof value === "number") n = value;
  else if (typeof value === "bigint") n = Number(value);
  else if (typeof value === "string" && /^-?\d+$/.test(value.trim())) n = Number(value.trim());
  else throw new RangeError(`not an integer from the database: ${String(value)}`);
  if (!Number.isSafeInteger(n)) throw new RangeError(`integer out of the safe range: ${String(value)}`);
  return n;
}
