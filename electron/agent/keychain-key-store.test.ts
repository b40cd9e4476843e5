import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { KeyStoreError } from "./key-store";
import { keychainAccount, KeychainKeyStore, keychainProblem, KEYCHAIN_LOCKED_REASON, type KeychainEntry } from "./keychain-key-store";
import { newWalletSecret } from "./wallet-secret";

describe("keychain entry names and failures", () => {
  it("names the default data folder's entry node-key and any other by a hash of its path", () => {
    expect(keychainAccount("/home/ann/.offpeak", "/home/ann")).toBe("node-key");
    expect(keychainAccount("/home/ann/.offpeak/", "/home/ann")).toBe("node-key");
    const other = keychainAccount("/srv/offpeak-a", "/home/ann");
    expect(other).toMatch(/^node-key:[0-9a-f]{16}$/);
    expect(keychainAccount("/srv/offpeak-a/../offpeak-a", "/home/ann")).toBe(other);
    expect(keychainAccount("/srv/offpeak-b", "/home/ann")).not.toBe(other);
  });

  it("tells a locked keychain from one that is not there (messages the OS stores give)", () => {
    const cases: [string, KeyStoreError["problem"]][] = [
      ["Couldn't access platform storage: Secret Service: unlock prompt was dismissed\n\nCaused by: …", "locked"],
      ["Couldn't access platform storage: User interaction is not allowed.", "locked"],
      ["Platform failure: DBus error: Failed to connect to socket /run/user/1000/bus: No such file or directory", "unavailable"],
      ["Cannot find native binding", "unavailable"],
    ];
    for (const [message, problem] of cases) {
      const error = keychainProblem(new Error(message));
      expect(error.problem, message).toBe(problem);
      expect(error.message).not.toContain("\n");
    }
    expect(keychainProblem(new Error("unlock prompt was dismissed")).message).toBe(KEYCHAIN_LOCKED_REASON);
    expect(keychainProblem(new Error("DBus error: no bus")).message).toBe(
      "Keychain unavailable: no Secret Service answers (DBus error: no bus); set OFFPEAK_KEY_STORE=file to keep the key in a file of the data folder instead",
    );
  });

  // A store that keeps something other than what it was given cannot be made of a real keychain.
  it("refuses an entry that does not read back what was written", async () => {
    let kept: string | null = null;
    const sloppy: KeychainEntry = {
      getPassword: async () => kept?.slice(0, -1) ?? null,
      setPassword: async (text) => {
        kept = text;
      },
      deletePassword: async () => true,
    };
    const store = new KeychainKeyStore({ dataDir: join("/tmp", "x"), service: "offpeak-test", openEntry: async () => sloppy, platform: "darwin" });
    await expect(store.save(newWalletSecret())).rejects.toThrow(/did not read back what was written/);
    expect(store.describe()).toMatch(/^macOS Keychain \(service "offpeak-test", account "node-key:[0-9a-f]{16}"\)$/);
  });
});
