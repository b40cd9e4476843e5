import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*.test.ts", "**/*.test.tsx"],
    exclude: ["node_modules/**", "dist/**", "e2e/**"],
    pool: "forks",
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Nodes started by tests keep throwaway keys in a file (the machine may have no Secret Service);
    // the keychain tests choose the keychain themselves.
    env: { NODE_LLAMA_CPP_GPU: "false", OFFPEAK_KEY_STORE: "file" },
    // Bundled through Vite, not loaded by Node, so its `import "electron"` gets the fake module
    // that tests mock (tests/fake-electron) instead of the real package, which needs the binary.
    server: { deps: { inline: ["electron-store"] } },
  },
});
