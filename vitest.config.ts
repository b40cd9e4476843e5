import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*.test.ts", "**/*.test.tsx"],
    exclude: ["node_modules/**", "dist/**", "e2e/**"],
    pool: "forks",
    testTimeout: 120_000,
    hookTimeout: 120_000,
    env: { NODE_LLAMA_CPP_GPU: "false" },
  },
});
