/**
 * List prices: what a model costs per million tokens on this network when the node serving it
 * asks no price of its own, and the default cap on what a consumer pays. Kept in the database
 * (set through the admin API) and read from memory on every request.
 */
import type { ModelPrice } from "../shared/money";
import { toSafeInteger, type Database } from "./db";

/** The list prices of every model, loaded once and updated as the admin sets them. */
export class PriceBook {
  private readonly prices = new Map<string, ModelPrice>();

  private constructor(
    private readonly db: Database,
    private readonly fallback: ModelPrice,
  ) {}

  /** Loads the prices stored in `db`; models without one cost `fallback`. */
  static async load(db: Database, fallback: ModelPrice): Promise<PriceBook> {
    const book = new PriceBook(db, fallback);
    const { rows } = await db.query<{ model: string; i: unknown; o: unknown }>(
      `SELECT model, input_micro_usd_per_mtok AS i, output_micro_usd_per_mtok AS o FROM model_prices`,
    );
    for (const r of rows) book.prices.set(r.model, { inputMicroUsdPerMTok: toSafeInteger(r.i), outputMicroUsdPerMTok: toSafeInteger(r.o) });
    return book;
  }

  /** The list price of `model`. */
  price(model: string): ModelPrice {
    return this.prices.get(model) ?? this.fallback;
  }

  /** The default price and every model's own, for the admin. */
  list(): { default: ModelPrice; models: Record<string, ModelPrice> } {
    return { default: this.fallback, models: Object.fromEntries([...this.prices].sort(([a], [b]) => a.localeCompare(b))) };
  }

  /** Sets (and stores) the list price of `model`. */
  async set(model: string, price: ModelPrice, at: Date): Promise<void> {
    for (const v of [price.inputMicroUsdPerMTok, price.outputMicroUsdPerMTok]) {
      if (!Number.isSafeInteger(v) || v < 0) throw new RangeError("prices are non-negative integers of µUSD per million tokens");
    }
    await this.db.query(
      `INSERT INTO model_prices (model, input_micro_usd_per_mtok, output_micro_usd_per_mtok, updated_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (model) DO UPDATE SET input_micro_usd_per_mtok = EXCLUDED.input_micro_usd_per_mtok,
         output_micro_usd_per_mtok = EXCLUDED.output_micro_usd_per_mtok, updated_at = EXCLUDED.updated_at`,
      [model, price.inputMicroUsdPerMTok, price.outputMicroUsdPerMTok, at.toISOString()],
    );
    this.prices.set(model, { ...price });
  }
}
