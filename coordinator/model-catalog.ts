/**
 * The models table: every model any node has ever advertised. A request for a model that is not
 * in it is a 404; a known model that no node serves right now is a 503.
 */
import type { AdvertisedModel } from "../shared/protocol";
import type { Database } from "./db";

/** Records (or refreshes) the models a node advertises. */
export async function rememberModels(db: Database, models: readonly AdvertisedModel[], at: Date = new Date()): Promise<void> {
  for (const m of models) {
    await db.query(
      `INSERT INTO models (id, label, context_size, demo, first_seen, last_seen) VALUES ($1, $2, $3, $4, $5, $5)
       ON CONFLICT (id) DO UPDATE SET label = EXCLUDED.label, context_size = EXCLUDED.context_size, demo = EXCLUDED.demo, last_seen = EXCLUDED.last_seen`,
      [m.id, m.label, m.contextSize, m.demo, at.toISOString()],
    );
  }
}

/**
 * Models known per database. Rows are never deleted, so a model once known stays known and only
 * a miss needs the database (every consumer request asks).
 */
const known = new WeakMap<Database, Set<string>>();

/** True when some node has ever advertised `model`. */
export async function isKnownModel(db: Database, model: string): Promise<boolean> {
  let seen = known.get(db);
  if (seen?.has(model)) return true;
  const { rows } = await db.query(`SELECT 1 FROM models WHERE id = $1`, [model]);
  if (rows.length === 0) return false;
  if (!seen) known.set(db, (seen = new Set()));
  seen.add(model);
  return true;
}
