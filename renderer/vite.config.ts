/** Builds the renderer (desktop window and headless dashboard) into dist/renderer. */
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";

// The renderer folder; build paths below are relative to it (no Node imports in renderer/).
const here = import.meta.dirname;

/**
 * The built page carries its own Content-Security-Policy (the Electron window loads it from a
 * file, where no server adds headers). Only in builds: the dev server injects inline scripts.
 */
function contentSecurityPolicy(): Plugin {
  const policy = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self' ws://127.0.0.1:* ws://localhost:*",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");
  return {
    name: "offpeak-csp",
    apply: "build",
    transformIndexHtml: () => [{ tag: "meta", attrs: { "http-equiv": "Content-Security-Policy", content: policy }, injectTo: "head-prepend" }],
  };
}

export const config = defineConfig({
  root: here,
  base: "./",
  plugins: [react(), contentSecurityPolicy()],
  build: {
    outDir: "../dist/renderer",
    emptyOutDir: true,
    sourcemap: true,
  },
  server: { fs: { allow: [".."] } },
});

// Vite loads a config file's default export.
export default config;
