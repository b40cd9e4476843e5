import { describe, expect, it } from "vitest";
import { sampleWithdrawalTerms } from "../tests/fake-electron/fake-withdrawals";
import { checkWithdrawDraft, maxWithdrawable, plainUsd } from "./withdraw-form";

const OWN = "0x90F8bf6A479f320ead074411a4B0e7944Ea8c9C1";
const terms = sampleWithdrawalTerms(OWN); // $12.50 available, $0.10 fee, $5 minimum, $1,000 a day

describe("the withdraw form", () => {
  it("is ready for a checksummed address and an amount the terms allow", () => {
    expect(checkWithdrawDraft({ to: OWN, amount: "12.40" }, terms)).toEqual({
      toError: null,
      amountError: null,
      amountMicroUsd: 12_400_000,
      totalMicroUsd: 12_500_000,
      ready: true,
    });
    expect(checkWithdrawDraft({ to: ` ${OWN} `, amount: "$5" }, terms).ready).toBe(true);
  });

  it("checks the destination's EIP-55 capitals as the owner types", () => {
    expect(checkWithdrawDraft({ to: "", amount: "6" }, terms).toError).toBe("Enter the address to send to.");
    expect(checkWithdrawDraft({ to: "0x90F8", amount: "6" }, terms).toError).toMatch(/0x followed by 40 hexadecimal digits/);
    expect(checkWithdrawDraft({ to: OWN.toLowerCase(), amount: "6" }, terms).toError).toMatch(/EIP-55 capitals/);
    expect(checkWithdrawDraft({ to: OWN.replace("F8bf", "F8Bf"), amount: "6" }, terms).toError).toMatch(/has a typo/);
  });

  it("refuses amounts below the minimum, past the day's limit, or beyond the balance with the fee", () => {
    const amountError = (amount: string, t = terms) => checkWithdrawDraft({ to: OWN, amount }, t).amountError;
    expect(amountError("")).toBeNull();
    expect(checkWithdrawDraft({ to: OWN, amount: "" }, terms).ready).toBe(false);
    expect(amountError("twelve")).toBe("Enter an amount in dollars, such as 12.50.");
    expect(amountError("1.0000001")).toBe("Enter an amount in dollars, such as 12.50.");
    expect(amountError("4.99")).toBe("The smallest withdrawal is $5.00.");
    expect(amountError("12.41")).toBe("With the $0.10 fee this is more than the $12.50 available.");
    expect(amountError("8", { ...terms, dailyLimitMicroUsd: 10_000_000, withdrawnTodayMicroUsd: 3_000_000 })).toBe("The daily limit leaves $7.00 for today (UTC).");
  });

  it("offers the most that can be withdrawn now", () => {
    expect(maxWithdrawable(terms)).toBe(12_400_000);
    expect(maxWithdrawable({ ...terms, dailyLimitMicroUsd: 10_000_000, withdrawnTodayMicroUsd: 3_000_000 })).toBe(7_000_000);
    expect(maxWithdrawable({ ...terms, availableMicroUsd: 50_000 })).toBe(0);
    expect([plainUsd(12_400_000), plainUsd(7_000_000), plainUsd(123)]).toEqual(["12.4", "7", "0.000123"]);
  });
});
