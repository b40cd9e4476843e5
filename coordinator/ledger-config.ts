/**
 * The ledger's settings for a coordinator started from the command line, from the environment:
 * OFFPEAK_FEE_BPS (the platform fee in basis points, 0–10000; default 0) and
 * OFFPEAK_VERIFICATION_HOURS (how long a node's credit stays pending; default 24, 0 = at once) and
 * OFFPEAK_APPEAL_DAYS (how long after its hold a quarantined node's held earnings wait for an
 * upheld appeal before they are forfeited to its consumers; default 30).
 */
import { DEFAULT_VERIFICATION_WINDOW_MS } from "./ledger";
import { DEFAULT_APPEAL_WINDOW_MS } from "./appeals";

/** What startCoordinator takes from these settings. */
export interface LedgerSettings {
  readonly feeBps: number;
  readonly verificationWindowMs: number;
  readonly appealWindowMs: number;
}

/** Reads the settings; throws an Error naming the variable and what it takes. */
export function ledgerSettingsFromEnv(env: NodeJS.ProcessEnv): LedgerSettings {
  const fee = env.OFFPEAK_FEE_BPS?.trim();
  const hours = env.OFFPEAK_VERIFICATION_HOURS?.trim();
  let feeBps = 0;
  if (fee) {
    if (!/^\d{1,5}$/.test(fee) || Number(fee) > 10_000) throw new Error(`OFFPEAK_FEE_BPS must be a whole number of basis points from 0 to 10000, got "${fee}"`);
    feeBps = Number(fee);
  }
  let verificationWindowMs = DEFAULT_VERIFICATION_WINDOW_MS;
  if (hours) {
    if (!/^\d{1,4}(\.\d{1,3})?$/.test(hours) || Number(hours) > 24 * 90) {
      throw new Error(`OFFPEAK_VERIFICATION_HOURS must be a number of hours from 0 to 2160, got "${hours}"`);
    }
    verificationWindowMs = Math.round(Number(hours) * 3_600_000);
  }
  const days = env.OFFPEAK_APPEAL_DAYS?.trim();
  let appealWindowMs = DEFAULT_APPEAL_WINDOW_MS;
  if (days) {
    if (!/^\d{1,3}$/.test(days) || Number(days) < 1 || Number(days) > 365) throw new Error(`OFFPEAK_APPEAL_DAYS must be a whole number of days from 1 to 365, got "${days}"`);
    appealWindowMs = Number(days) * 86_400_000;
  }
  return { feeBps, verificationWindowMs, appealWindowMs };
}
