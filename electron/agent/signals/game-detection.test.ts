/**
 * Which game is running, from process lists as each platform gives them: Steam paths (native,
 * Proton, macOS), launcher games, launchers alone, well-known executables, Minecraft in java,
 * Steam's registry, and the owner's own apps.
 */
import { describe, expect, it } from "vitest";
import { detectGame, findOwnApp, type DetectedGame } from "./game-detection";
import { KNOWN_GAMES, LAUNCHERS, STEAM } from "./game-list";
import type { ProcessInfo } from "./signal-sources";

let nextPid = 100;
const proc = (name: string, exePath: string | null = null, commandLine: string | null = null): ProcessInfo => ({ pid: nextPid++, name, exePath, commandLine });

const desktop = [proc("explorer.exe"), proc("chrome", "/opt/google/chrome/chrome", "/opt/google/chrome/chrome --type=renderer"), proc("code")];
const steamClient = [
  proc("steam.exe", "C:\\Program Files (x86)\\Steam\\steam.exe"),
  proc("steamwebhelper.exe", "C:\\Program Files (x86)\\Steam\\bin\\cef\\cef.win7x64\\steamwebhelper.exe"),
];

const table: { case: string; processes: ProcessInfo[]; steamApp?: { appId: number; name: string | null }; game: DetectedGame | null }[] = [
  { case: "nothing but the desktop", processes: desktop, game: null },
  {
    case: "a Steam game on Windows, by its path",
    processes: [...desktop, ...steamClient, proc("eldenring.exe", "D:\\SteamLibrary\\steamapps\\common\\ELDEN RING\\Game\\eldenring.exe")],
    game: { name: "ELDEN RING", source: "steam" },
  },
  {
    case: "a Steam game under Proton on Linux, found past Proton's own folder",
    processes: [
      proc("proton", "/home/ana/.local/share/Steam/steamapps/common/Proton 9.0 (Beta)/proton", "python3 /home/ana/.local/share/Steam/steamapps/common/Proton 9.0 (Beta)/proton waitforexitandrun"),
      proc("Cyberpunk2077.exe", "Z:\\home\\ana\\.local\\share\\Steam\\steamapps\\common\\Cyberpunk 2077\\bin\\x64\\Cyberpunk2077.exe"),
    ],
    game: { name: "Cyberpunk 2077", source: "steam" },
  },
  {
    case: "a native Linux Steam game seen only on a command line",
    processes: [proc("reaper", null, "reaper SteamLaunch AppId=570 -- /home/ana/.steam/steam/steamapps/common/dota 2 beta/game/dota.sh")],
    game: { name: "dota 2 beta", source: "steam" },
  },
  { case: "the Steam client alone", processes: [...desktop, ...steamClient], game: null },
  {
    case: "Steam's own runtime and Wallpaper Engine are not games",
    processes: [
      proc("pressure-vessel", "/home/ana/.local/share/Steam/steamapps/common/SteamLinuxRuntime_sniper/pressure-vessel/bin/pv-adverb"),
      proc("wallpaper64.exe", "C:\\Program Files (x86)\\Steam\\steamapps\\common\\wallpaper_engine\\wallpaper64.exe"),
    ],
    game: null,
  },
  {
    case: "an Epic game by its install folder",
    processes: [
      proc("EpicGamesLauncher.exe", "C:\\Program Files (x86)\\Epic Games\\Launcher\\Portal\\Binaries\\Win64\\EpicGamesLauncher.exe"),
      proc("HogwartsLegacy.exe", "C:\\Program Files\\Epic Games\\HogwartsLegacy\\Phoenix\\Binaries\\Win64\\HogwartsLegacy.exe"),
    ],
    game: { name: "HogwartsLegacy", source: "launcher" },
  },
  {
    case: "an Epic game by its command-line marker, in a custom folder",
    processes: [proc("Game-Win64-Shipping.exe", "E:\\Games\\Alan Wake 2\\Game-Win64-Shipping.exe", "Game-Win64-Shipping.exe -EpicPortal -epicapp=Dill")],
    game: { name: "Game-Win64-Shipping", source: "launcher" },
  },
  {
    case: "every launcher open with no game",
    processes: [...desktop, ...LAUNCHERS.flatMap((l) => l.executables.map((exe) => proc(`${exe}.exe`))), ...STEAM.executables.map((exe) => proc(exe))],
    game: null,
  },
  {
    case: "the Epic launcher alone, with its path",
    processes: [proc("EpicGamesLauncher.exe", "C:\\Program Files (x86)\\Epic Games\\Launcher\\Portal\\Binaries\\Win64\\EpicGamesLauncher.exe")],
    game: null,
  },
  {
    case: "a Riot game by its folder, not the Riot Client",
    processes: [
      proc("RiotClientServices.exe", "C:\\Riot Games\\Riot Client\\RiotClientServices.exe"),
      proc("VALORANT-Win64-Shipping.exe", "C:\\Riot Games\\VALORANT\\live\\ShooterGame\\Binaries\\Win64\\VALORANT-Win64-Shipping.exe"),
    ],
    game: { name: "VALORANT", source: "launcher" },
  },
  { case: "a well-known game by name only (Windows tasklist)", processes: [...desktop, proc("r5apex.exe")], game: { name: "Apex Legends", source: "list" } },
  { case: "Fortnite by name, case aside", processes: [proc("FORTNITECLIENT-WIN64-SHIPPING.EXE")], game: { name: "Fortnite", source: "list" } },
  {
    case: "Minecraft in javaw, by its command line",
    processes: [proc("javaw.exe", null, "javaw.exe -Xmx4G -cp ... net.minecraft.client.main.Main --version 1.21")],
    game: { name: "Minecraft", source: "list" },
  },
  { case: "plain java without Minecraft", processes: [proc("java", "/usr/bin/java", "/usr/bin/java -jar build-server.jar")], game: null },
  { case: "Steam's running app from the registry, named by Steam", processes: [...desktop, ...steamClient], steamApp: { appId: 1091500, name: "Cyberpunk 2077" }, game: { name: "Cyberpunk 2077", source: "steam" } },
  {
    case: "Steam's running app without a registry name, named from the process list",
    processes: [...steamClient, proc("Cyberpunk2077.exe")],
    steamApp: { appId: 1091500, name: null },
    game: { name: "Cyberpunk 2077", source: "steam" },
  },
  { case: "Steam's running app with nothing to name it", processes: steamClient, steamApp: { appId: 1091500, name: null }, game: { name: "Steam game 1091500", source: "steam" } },
  {
    case: "a macOS app bundle under Steam",
    processes: [proc("Baldur's Gate 3", "/Users/ana/Library/Application Support/Steam/steamapps/common/Baldurs Gate 3/Baldur's Gate 3.app/Contents/MacOS/Baldur's Gate 3")],
    game: { name: "Baldurs Gate 3", source: "steam" },
  },
];

describe("detectGame", () => {
  it.each(table)("$case", ({ processes, steamApp, game }) => {
    expect(detectGame(processes, steamApp ?? null)).toEqual(game);
  });

  it("knows a few dozen games, each with a name and executables written lower-case without .exe", () => {
    expect(KNOWN_GAMES.length).toBeGreaterThanOrEqual(40);
    for (const game of KNOWN_GAMES) {
      expect(game.name.length).toBeGreaterThan(0);
      for (const exe of game.executables) expect(exe).toBe(exe.toLowerCase().replace(/\.exe$/, ""));
    }
  });

  it("recognises no launcher's own program as a game", () => {
    for (const launcher of [STEAM, ...LAUNCHERS]) {
      for (const exe of launcher.executables) expect(detectGame([proc(`${exe}.exe`)]), `${launcher.name}: ${exe}`).toBeNull();
    }
  });
});

describe("findOwnApp", () => {
  const processes = [
    ...desktop,
    proc("Blender", "/Applications/Blender.app/Contents/MacOS/Blender"),
    proc("Photoshop.exe"),
    proc("Adobe Premiere Pro 2024", "/Applications/Adobe Premiere Pro 2024/Adobe Premiere Pro 2024.app/Contents/MacOS/Adobe Premiere Pro 2024"),
  ];

  it("matches the owner's apps case-insensitively, with or without .exe, as the owner wrote them", () => {
    expect(findOwnApp(processes, ["blender"])).toBe("blender");
    expect(findOwnApp(processes, ["PHOTOSHOP"])).toBe("PHOTOSHOP");
    expect(findOwnApp(processes, ["photoshop.exe"])).toBe("photoshop.exe");
    expect(findOwnApp(processes, ["Adobe Premiere Pro 2024.app"])).toBe("Adobe Premiere Pro 2024.app");
  });

  it("finds nothing for apps not running, names that only partly match, or an empty list", () => {
    expect(findOwnApp(processes, ["DaVinci Resolve", "blend", "  "])).toBeNull();
    expect(findOwnApp(processes, [])).toBeNull();
  });
});
