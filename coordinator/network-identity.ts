/**
 * The network's identity: one id per database, made by a migration, shared by every coordinator
 * instance on it. Nodes sign it in their logins, withdrawals and signed reads, so a signature made
 * for one network is refused by any other, and a node's request is accepted by whichever instance
 * of its own network answers it.
 */
import type { Queryable } from "./db";

/** The id of the network whose ledger `db` holds. */
export async function networkIdOf(db: Queryable): Promise<string> {
  const { rows } = await db.query<{ id: string }>(`SELECT id FROM network_identity`);
  const id = rows[0]?.id;
  if (!id) throw new Error("the database has no network identity (its migrations did not run)");
  return id;
}
