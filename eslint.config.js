// Lint: TypeScript rules plus the process boundaries of DESIGN.md, as one import rule per layer.
import tseslint from "typescript-eslint";

const nodeBuiltins = ["node:*", "fs", "path", "os", "child_process", "http", "https", "net", "crypto", "url", "util", "worker_threads", "stream"];
const pattern = (group, message) => ({ group, message });

/** Imports each layer may not make. */
const boundaries = [
  {
    files: ["shared/**/*.ts"],
    patterns: [
      pattern(nodeBuiltins, "shared/ is runtime-neutral: no Node built-ins."),
      pattern(["electron", "react", "react-dom", "ws", "pg", "@electric-sql/*", "node-llama-cpp"], "shared/ imports nothing runtime-specific."),
      pattern(["**/electron/**", "**/coordinator/**", "**/renderer/**"], "shared/ imports only shared/."),
    ],
  },
  {
    files: ["renderer/**/*.ts", "renderer/**/*.tsx"],
    patterns: [
      pattern(nodeBuiltins, "renderer/ runs in a browser: no Node built-ins."),
      pattern(["electron", "ws", "pg", "@electric-sql/*", "node-llama-cpp"], "renderer/ talks to the agent through ControlApi only."),
      pattern(["**/electron/**", "**/coordinator/**"], "renderer/ imports only shared/ and itself."),
    ],
  },
  {
    files: ["coordinator/**/*.ts"],
    patterns: [
      pattern(["electron", "react", "react-dom", "node-llama-cpp"], "coordinator/ is a network service."),
      pattern(["**/electron/**", "**/renderer/**"], "coordinator/ imports only shared/ and itself."),
    ],
  },
  {
    files: ["electron/agent/**/*.ts", "electron/worker/**/*.ts", "electron/cli/**/*.ts"],
    patterns: [
      pattern(["electron"], "Only electron/main and electron/preload import electron."),
      pattern(["**/renderer/**", "**/electron/main/**", "**/electron/preload/**"], "The agent, worker and CLI do not import the UI or the Electron shell."),
    ],
  },
  {
    files: ["electron/preload/**/*.ts"],
    patterns: [pattern(["**/electron/agent/**", "**/electron/worker/**", "**/coordinator/**", "node-llama-cpp"], "The preload bridges ControlApi; it holds no agent code.")],
  },
];

export default tseslint.config(
  { ignores: ["node_modules/**", "dist/**", "test-results/**", "playwright-report/**", "bin/**"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "error",
      "no-restricted-exports": ["error", { restrictDefaultExports: { direct: true, named: true, defaultFrom: true, namedFrom: true, namespaceFrom: true } }],
    },
  },
  ...boundaries.map(({ files, patterns }) => ({ files, rules: { "no-restricted-imports": ["error", { patterns }] } })),
  {
    files: ["**/*.config.ts", "**/*.config.js", "eslint.config.js", "**/vite.config.ts"],
    rules: { "no-restricted-exports": "off" },
  },
);
