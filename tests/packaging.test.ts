/**
 * The installers' configuration (electron-builder.yml): checked against electron-builder's own
 * schema, then for what the desktop app needs (targets, hardened runtime and entitlements,
 * native binaries outside the asar, only this platform's binaries). On Linux the unpacked app is
 * then really built — with a stand-in for Electron's binary, which cannot be downloaded here —
 * and its file tree inspected. Installers themselves (dmg, NSIS, AppImage, deb) need tools
 * electron-builder downloads, and are built by `npm run package` on a machine that has them.
 */
import { existsSync, readFileSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { listPackage } from "@electron/asar";
import { Arch, build, Platform, type Configuration } from "electron-builder";
import { afterAll, describe, expect, it } from "vitest";
import { build as viteBuild } from "vite";
import { buildPreload } from "../electron/main/build-preload";

const require = createRequire(import.meta.url);
// electron-builder's own loader and schema check (not re-exported by its package index).
const { getConfig, validateConfiguration } = require("app-builder-lib/out/util/config/config") as {
  getConfig(projectDir: string, configPath: string | null, options: Configuration | null): Promise<Configuration>;
  validateConfiguration(config: Configuration, logger: unknown): Promise<void>;
};
const { DebugLogger } = require("builder-util") as { DebugLogger: new (enabled: boolean) => unknown };

const repoRoot = path.resolve(import.meta.dirname, "..");
const configFile = path.join(repoRoot, "electron-builder.yml");
const load = () => getConfig(repoRoot, configFile, null);
const targetsOf = (value: unknown) => (value as { target: string; arch: string }[]).map((t) => `${t.target}:${t.arch}`);

describe("electron-builder.yml", () => {
  it("passes electron-builder's schema, which refuses a wrong one", async () => {
    const config = await load();
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
    const broken = { ...config, mac: { ...config.mac, hardenedRuntime: "yes" } } as unknown as Configuration;
    await expect(validateConfiguration(broken, new DebugLogger(false))).rejects.toThrow(/hardenedRuntime/);
  });

  it("builds dmg + zip for Apple Silicon, NSIS x64, AppImage + deb x64", async () => {
    const config = await load();
    expect(targetsOf(config.mac?.target)).toEqual(["dmg:arm64", "zip:arm64"]);
    expect(targetsOf(config.win?.target)).toEqual(["nsis:x64"]);
    expect(targetsOf(config.linux?.target)).toEqual(["AppImage:x64", "deb:x64"]);
  });

  it("signs for the hardened runtime with the JIT entitlements, for the app and what it starts", async () => {
    const config = await load();
    expect(config.mac?.hardenedRuntime).toBe(true);
    // Notarisation is left to electron-builder's own reading of APPLE_ID, APPLE_APP_SPECIFIC_PASSWORD, APPLE_TEAM_ID.
    expect(config.mac?.notarize).toBeUndefined();
    for (const file of [config.mac?.entitlements, config.mac?.entitlementsInherit]) {
      expect(file).toBeTruthy();
      const plist = readFileSync(path.join(repoRoot, file!), "utf8");
      for (const key of ["com.apple.security.cs.allow-jit", "com.apple.security.cs.allow-unsigned-executable-memory", "com.apple.security.cs.disable-library-validation"]) {
        expect(plist, `${file}: ${key}`).toMatch(new RegExp(`<key>${key.replaceAll(".", "\\.")}</key>\\s*<true/>`));
      }
      // Not the App Sandbox: it would stop the worker's own sandbox profile and the node's network.
      expect(plist).not.toContain("com.apple.security.app-sandbox");
    }
  });

  it("keeps native binaries and the worker outside the asar, and has its icons", async () => {
    const config = await load();
    expect(config.asarUnpack).toEqual(expect.arrayContaining(["node_modules/@node-llama-cpp/**", "node_modules/koffi/**", "**/*.node", "electron/worker/**"]));
    expect(config.npmRebuild).toBe(false);
    const mac = path.join(repoRoot, config.mac?.icon ?? "");
    expect(readFileSync(mac).readUInt32BE(16)).toBeGreaterThanOrEqual(512);
    expect(existsSync(path.join(repoRoot, config.linux?.icon ?? "", "512x512.png"))).toBe(true);
  });
});

const canBuildHere = process.platform === "linux" && process.arch === "x64";

describe.skipIf(!canBuildHere)("the unpacked app (Linux x64, Electron's binary stood in for)", () => {
  let work: string;
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("holds the app in an asar, node-llama-cpp's binaries for this platform only beside it, and no tests", async () => {
    // The same steps as `npm run package`: the renderer and the preload first.
    await viteBuild({ configFile: path.join(repoRoot, "renderer", "vite.config.ts"), logLevel: "warn" });
    await buildPreload();
    work = await mkdtemp(path.join(tmpdir(), "offpeak-package-"));
    // What electron-builder copies from an Electron distribution, with a script for the binary.
    const electronDist = path.join(work, "electron-dist");
    await mkdir(path.join(electronDist, "resources"), { recursive: true });
    await writeFile(path.join(electronDist, "electron"), "#!/bin/sh\necho 'stand-in for the Electron binary'\n");
    await chmod(path.join(electronDist, "electron"), 0o755);
    await writeFile(path.join(electronDist, "version"), "45.4.1");
    await writeFile(path.join(electronDist, "LICENSE"), "");
    await writeFile(path.join(electronDist, "LICENSES.chromium.html"), "");

    const output = path.join(work, "out");
    await build({ projectDir: repoRoot, targets: Platform.LINUX.createTarget("dir", Arch.x64), publish: "never", config: { electronDist, directories: { output } } });

    const app = path.join(output, "linux-unpacked");
    expect(existsSync(path.join(app, "offpeak"))).toBe(true);
    const asar = path.join(app, "resources", "app.asar");
    const files = listPackage(asar, { isPack: false }).map((f) => f.replaceAll("\\", "/"));
    for (const expected of ["/package.json", "/electron/main/entry.mjs", "/electron/main/main.ts", "/shared/settings.ts", "/coordinator/coordinator.ts", "/dist/renderer/index.html", "/dist/electron/preload.cjs", "/resources/tray/tray-earning-dark.png"]) {
      expect(files, expected).toContain(expected);
    }
    expect(files.filter((f) => /\.test\.tsx?$|\.fixture\.ts$|\/test-support\//.test(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith(".map") && f.startsWith("/dist/renderer"))).toEqual([]);

    const unpacked = path.join(app, "resources", "app.asar.unpacked");
    const llama = await readdir(path.join(unpacked, "node_modules", "@node-llama-cpp"));
    expect(llama).toContain("linux-x64");
    expect(llama.every((name) => name === "linux-x64" || name.startsWith("linux-x64-"))).toBe(true);
    expect(existsSync(path.join(unpacked, "electron", "worker"))).toBe(true);
    expect(existsSync(path.join(unpacked, "node_modules", "koffi"))).toBe(true);
  }, 600_000);
});
