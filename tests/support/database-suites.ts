/**
 * Test support: run one suite against every database the coordinator supports — PGlite in
 * memory, and a real PostgreSQL (a throwaway server started for the suite, stopped after it).
 */
import { afterAll, beforeAll, describe } from "vitest";
import { postgresSkipReason, startThrowawayPostgres, type ThrowawayPostgres } from "./postgres";

/** The database a suite runs on. */
export interface DatabaseTarget {
  readonly kind: "PGlite" | "PostgreSQL";
  /** What to pass to openDatabase: undefined (PGlite in memory) or the server's URL. Valid from beforeAll on. */
  target(): string | undefined;
}

/**
 * Declares `body` twice: as "<title> on PGlite" and "<title> on PostgreSQL". The PostgreSQL suite
 * starts its server in a beforeAll registered before the body's hooks (so the body's beforeAll
 * can open it) and stops it after the body's afterAll. Without PostgreSQL the PostgreSQL suite
 * fails with the install hint, except on macOS / Windows development machines where it is skipped.
 */
export function describeOnEachDatabase(title: string, body: (db: DatabaseTarget) => void): void {
  describe(`${title} on PGlite`, () => body({ kind: "PGlite", target: () => undefined }));

  const skip = postgresSkipReason();
  describe.skipIf(skip !== null)(`${title} on PostgreSQL${skip ? ` (skipped: ${skip})` : ""}`, () => {
    let server: ThrowawayPostgres | undefined;
    beforeAll(async () => {
      server = await startThrowawayPostgres();
    });
    afterAll(async () => {
      await server?.stop();
    });
    body({
      kind: "PostgreSQL",
      target: () => {
        if (!server) throw new Error("the PostgreSQL test server did not start");
        return server.url;
      },
    });
  });
}
