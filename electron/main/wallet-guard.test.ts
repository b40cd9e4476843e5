import { describe, expect, it } from "vitest";
import { FakeControlApi } from "../../tests/fake-electron/fake-control-api";
import { SAMPLE_PHRASE } from "../../tests/fake-electron/fake-wallet";
import { guardWalletSecrets, OWNER_NOT_CONFIRMED, touchIdCheck } from "./wallet-guard";

const OTHER = "test test test test test test test test test test test junk";

/** A systemPreferences stand-in: whether Touch ID exists, and what the owner answers. */
function touchId(available: boolean, answer: "yes" | "no") {
  const prompts: string[] = [];
  return {
    prompts,
    prefs: () => ({
      canPromptTouchID: () => available,
      promptTouchID: async (reason: string) => {
        prompts.push(reason);
        if (answer === "no") throw new Error("cancelled");
      },
    }),
  };
}

describe("the owner's presence before the wallet's secrets move", () => {
  it("asks Touch ID before the backup phrase and a confirmed restore, and refuses without it", async () => {
    const control = new FakeControlApi();
    const refusing = touchId(true, "no");
    const guarded = guardWalletSecrets(control, touchIdCheck(refusing.prefs, "darwin"));
    expect(await guarded.backupWallet(true)).toEqual({ ok: false, error: OWNER_NOT_CONFIRMED });
    expect(await guarded.restoreWallet({ phrase: OTHER, confirm: true })).toEqual({ ok: false, error: OWNER_NOT_CONFIRMED });
    expect(control.wallet.backupCalls).toEqual([]);
    expect(control.wallet.restoreCalls).toEqual([]);
    // A preview changes nothing and shows no secret: no prompt.
    expect(await guarded.restoreWallet({ phrase: OTHER, confirm: false })).toMatchObject({ ok: true, value: { replaced: false } });
    expect(refusing.prompts).toEqual(["show the wallet's backup phrase", "replace the wallet's key"]);

    const confirming = touchId(true, "yes");
    const allowed = guardWalletSecrets(control, touchIdCheck(confirming.prefs, "darwin"));
    expect(await allowed.backupWallet(true)).toMatchObject({ ok: true, value: { phrase: SAMPLE_PHRASE } });
    // Every other method passes straight through, bound to the agent.
    expect(await allowed.getWallet()).toEqual(await control.getWallet());
    expect((await allowed.setSharing(true)).ok).toBe(true);
    expect(control.sharingCalls).toEqual([true]);
  });

  it("asks nothing where there is no Touch ID: the window's confirmation is the check", async () => {
    const control = new FakeControlApi();
    for (const [prefs, platform] of [
      [touchId(false, "no"), "darwin"],
      [touchId(true, "no"), "linux"],
    ] as const) {
      const guarded = guardWalletSecrets(control, touchIdCheck(prefs.prefs, platform));
      expect((await guarded.backupWallet(true)).ok).toBe(true);
      expect(prefs.prompts).toEqual([]);
    }
  });
});
