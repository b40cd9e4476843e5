/**
 * Bundles the window's preload into one self-contained CommonJS file, dist/electron/preload.cjs:
 * a sandboxed preload can only require `electron`. The main process runs from source through
 * electron/main/entry.mjs, like the command line does.
 * Run with `npx tsx electron/main/build-preload.ts`.
 */
import path from "node:path";
import { build } from "vite";

const repoRoot = path.resolve(import.meta.dirname, "..", "..");
const outDir = path.join(repoRoot, "dist", "electron");

/** Builds preload.cjs into dist/electron. */
export async function buildPreload(): Promise<void> {
  await build({
    configFile: false,
    root: repoRoot,
    logLevel: "warn",
    ssr: { noExternal: true, external: ["electron"] },
    build: {
      ssr: path.join(repoRoot, "electron", "preload", "preload.ts"),
      outDir,
      emptyOutDir: false,
      target: "chrome130",
      sourcemap: false,
      rollupOptions: { external: ["electron"], output: { format: "cjs", entryFileNames: "preload.cjs" } },
    },
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  await buildPreload();
}
