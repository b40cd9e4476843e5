import { describe, expect, it } from "vitest";
import { ledgerSettingsFromEnv } from "./ledger-config";

describe("the ledger's settings from the environment", () => {
  it("defaults to no fee and a 24-hour verification window", () => {
    expect(ledgerSettingsFromEnv({})).toEqual({ feeBps: 0, verificationWindowMs: 24 * 3_600_000, appealWindowMs: 30 * 86_400_000 });
  });

  it("reads a fee in basis points and a window in hours", () => {
    expect(ledgerSettingsFromEnv({ OFFPEAK_FEE_BPS: "250", OFFPEAK_VERIFICATION_HOURS: "0.5" })).toEqual({ feeBps: 250, verificationWindowMs: 1_800_000, appealWindowMs: 30 * 86_400_000 });
    expect(ledgerSettingsFromEnv({ OFFPEAK_FEE_BPS: "10000", OFFPEAK_VERIFICATION_HOURS: "0" })).toEqual({ feeBps: 10_000, verificationWindowMs: 0, appealWindowMs: 30 * 86_400_000 });
    expect(ledgerSettingsFromEnv({ OFFPEAK_APPEAL_DAYS: "7" }).appealWindowMs).toBe(7 * 86_400_000);
  });

  it.each([
    [{ OFFPEAK_FEE_BPS: "2.5%" }, /OFFPEAK_FEE_BPS must be a whole number of basis points from 0 to 10000, got "2.5%"/],
    [{ OFFPEAK_FEE_BPS: "10001" }, /OFFPEAK_FEE_BPS/],
    [{ OFFPEAK_FEE_BPS: "-1" }, /OFFPEAK_FEE_BPS/],
    [{ OFFPEAK_VERIFICATION_HOURS: "a day" }, /OFFPEAK_VERIFICATION_HOURS must be a number of hours from 0 to 2160, got "a day"/],
    [{ OFFPEAK_VERIFICATION_HOURS: "5000" }, /OFFPEAK_VERIFICATION_HOURS/],
    [{ OFFPEAK_APPEAL_DAYS: "0" }, /OFFPEAK_APPEAL_DAYS must be a whole number of days from 1 to 365, got "0"/],
    [{ OFFPEAK_APPEAL_DAYS: "2.5" }, /OFFPEAK_APPEAL_DAYS/],
  ])("refuses %j with a clear error", (env, error) => {
    expect(() => ledgerSettingsFromEnv(env)).toThrow(error);
  });
});
