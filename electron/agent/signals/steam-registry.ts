/**
 * The game Steam is running, on Windows, from the registry: `reg query HKCU\Software\Valve\Steam
 * /v RunningAppID` (non-zero while a Steam game runs), and its name from the app's own key
 * (`HKCU\Software\Valve\Steam\Apps\<id>` value `Name`) when Steam wrote one.
 */
import type { SteamSource } from "./signal-sources";
import type { RunCommand } from "./run-command";

const STEAM_KEY = "HKCU\\Software\\Valve\\Steam";

/** Steam app ids that run without being games (Wallpaper Engine, shared redistributables). */
export const STEAM_NON_GAME_APP_IDS: ReadonlySet<number> = new Set([431960, 228980]);

/** One value from `reg query <key> /v <name>` output, as text (REG_DWORD as a decimal number). */
export function parseRegValue(output: string, name: string): string | null {
  for (const line of output.split(/\r?\n/)) {
    const match = /^\s+(\S+)\s+(REG_\w+)\s+(.*?)\s*$/.exec(line);
    if (!match || match[1]!.toLowerCase() !== name.toLowerCase()) continue;
    if (match[2] === "REG_DWORD" || match[2] === "REG_QWORD") {
      const value = Number.parseInt(match[3]!, 16);
      return Number.isFinite(value) ? String(value) : null;
    }
    return match[3]!;
  }
  return null;
}

/** The Windows Steam source (reads the current user's registry). */
export function createSteamRegistrySource(run: RunCommand): SteamSource {
  return {
    runningApp: async () => {
      const result = await run("reg", ["query", STEAM_KEY, "/v", "RunningAppID"]);
      if (!result.ok) return null;
      const appId = Number(parseRegValue(result.stdout, "RunningAppID"));
      if (!Number.isInteger(appId) || appId <= 0 || STEAM_NON_GAME_APP_IDS.has(appId)) return null;
      const app = await run("reg", ["query", `${STEAM_KEY}\\Apps\\${appId}`, "/v", "Name"]);
      return { appId, name: app.ok ? parseRegValue(app.stdout, "Name") : null };
    },
  };
}
