/**
 * Retrying a ledger step whose database connection was lost (PostgreSQL restarted, the
 * connection terminated by an operator or a proxy). Only for steps that are safe to run twice:
 * settling and releasing a job are guarded by `status = 'running'`, so when the first try did
 * commit before its connection died, the second finds the job closed and moves nothing.
 */

const CONNECTION_CODES = new Set(["57P01", "57P02", "57P03", "08000", "08003", "08006", "ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT"]);

/** True when `err` says the connection to the database was lost, not that the statement was wrong. */
export function isConnectionLoss(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" && CONNECTION_CODES.has(code)) return true;
  const message = (err as { message?: unknown }).message;
  return typeof message === "string" && /connection terminated|terminating connection|not queryable|connection error/i.test(message);
}

/** Runs `step`, trying again (up to `attempts` in all, `delayMs` apart, doubling) while it fails from a lost connection. */
export async function retryOnConnectionLoss<T>(step: () => Promise<T>, attempts = 4, delayMs = 50): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await step();
    } catch (err) {
      if (i >= attempts || !isConnectionLoss(err)) throw err;
      await new Promise((r) => setTimeout(r, delayMs * 2 ** (i - 1)));
    }
  }
}
