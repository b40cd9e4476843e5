import { describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "./db";
import { startCoordinator } from "./coordinator";
import { networkIdOf } from "./network-identity";
import { TEST_ADMIN_TOKEN } from "./test-support/harness";

describe("network identity", () => {
  it("is one id per database: the same for every coordinator on it, kept across a restart, another for another database", async () => {
    const dir = await mkdtemp(join(tmpdir(), "offpeak-network-id-"));
    try {
      const db = await openDatabase(dir);
      const a = await startCoordinator({ db, adminToken: TEST_ADMIN_TOKEN, verification: false });
      const b = await startCoordinator({ db, adminToken: TEST_ADMIN_TOKEN, verification: false });
      expect(a.coordinatorId).toMatch(/^offpeak:[0-9a-f-]{36}$/);
      expect(b.coordinatorId).toBe(a.coordinatorId);
      expect(a.url).not.toBe(b.url);
      await a.close();
      await b.close();
      await db.close();

      const reopened = await openDatabase(dir);
      expect(await networkIdOf(reopened)).toBe(a.coordinatorId);
      await reopened.close();

      const other = await openDatabase(undefined);
      expect(await networkIdOf(other)).not.toBe(a.coordinatorId);
      const named = await startCoordinator({ db: other, adminToken: TEST_ADMIN_TOKEN, verification: false, coordinatorId: "my-network" });
      expect(named.coordinatorId).toBe("my-network");
      await named.close();
      await other.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
