// Lint: TypeScript rules plus the process boundaries of DESIGN.md, as one import rule per layer.
import tseslint from "typescript-eslint";

const NODE_BUILTINS = ["fs", "fs/promises", "path", "os", "child_process", "http", "https", "net", "crypto", "url", "util", "worker_threads", "stream"];
const SERVER_PACKAGES = ["ws", "pg", "@electric-sql/pglite", "node-llama-cpp"];

/** Imports each layer may not make: exact module names, and path globs for the project's folders. */
const boundaries = [
  {
    files: ["shared/**/*.ts"],
    modules: [...NODE_BUILTINS, ...SERVER_PACKAGES, "electron", "react", "react-dom"],
    modulesMessage: "shared/ is runtime-neutral: it imports no Node built-in or runtime-specific package.",
    builtinsBanned: true,
    folders: ["**/electron/**", "**/coordinator/**", "**/renderer/**"],
    foldersMessage: "shared/ imports only shared/.",
  },
  {
    files: ["renderer/**/*.ts", "renderer/**/*.tsx"],
    modules: [...NODE_BUILTINS, ...SERVER_PACKAGES, "electron"],
    modulesMessage: "renderer/ runs in a browser and talks to the agent through ControlApi only.",
    builtinsBanned: true,
    folders: ["**/electron/**", "**/coordinator/**"],
    foldersMessage: "renderer/ imports only shared/ and itself.",
  },
  {
    files: ["coordinator/**/*.ts"],
    modules: ["electron", "react", "react-dom", "node-llama-cpp"],
    modulesMessage: "coordinator/ is a network service.",
    folders: ["**/electron/**", "**/renderer/**"],
    foldersMessage: "coordinator/ imports only shared/ and itself.",
  },
  {
    files: ["electron/agent/**/*.ts", "electron/worker/**/*.ts", "electron/cli/**/*.ts"],
    modules: ["electron", "electron-store"],
    modulesMessage: "Only electron/main and electron/preload import electron.",
    folders: ["**/renderer/**", "**/electron/main/**", "**/electron/preload/**", "../main/**", "../preload/**"],
    foldersMessage: "The agent, worker and CLI do not import the UI or the Electron shell.",
  },
  {
    files: ["electron/preload/**/*.ts"],
    modules: ["node-llama-cpp"],
    modulesMessage: "The preload bridges ControlApi; it holds no agent code.",
    folders: ["**/electron/agent/**", "**/electron/worker/**", "**/coordinator/**", "../agent/**", "../worker/**"],
    foldersMessage: "The preload bridges ControlApi; it holds no agent code.",
  },
];

function restriction({ modules, modulesMessage, builtinsBanned, folders, foldersMessage }) {
  const patterns = [{ group: folders, message: foldersMessage }];
  if (builtinsBanned) patterns.push({ group: ["node:*"], message: modulesMessage });
  return ["error", { paths: modules.map((name) => ({ name, message: modulesMessage })), patterns }];
}

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
  ...boundaries.map((b) => ({ files: b.files, rules: { "no-restricted-imports": restriction(b) } })),
  {
    files: ["**/*.config.ts", "**/*.config.js", "eslint.config.js"],
    rules: { "no-restricted-exports": "off" },
  },
);
