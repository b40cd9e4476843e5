/**
 * Finds the game running, and the owner's own apps, among the running processes:
 * 1. a process under Steam's `steamapps/common/<Name>` → a Steam game named `<Name>`;
 * 2. Steam's running app id (Windows registry) → that game, named from its process or the registry;
 * 3. a process under another launcher's games folder, or with its command-line marker → "launcher";
 * 4. a well-known game executable (see game-list.ts) → "list".
 * Launchers' own programs never count.
 */
import type { Signals } from "../../../shared/sharing-types";
import { KNOWN_GAMES, LAUNCHERS, STEAM, type Launcher } from "./game-list";
import type { ProcessInfo } from "./signal-sources";
import { baseName } from "./process-list";

/** The game found, as the shared signals carry it. */
export type DetectedGame = NonNullable<Signals["game"]>;

/** The lower-case names a process goes by: its name, its executable's, its macOS bundle's; without `.exe`. */
export function processNames(process: ProcessInfo): Set<string> {
  const names = new Set<string>();
  const add = (name: string | undefined | null) => {
    if (!name) return;
    const lower = name.trim().toLowerCase();
    if (!lower) return;
    names.add(lower);
    names.add(lower.replace(/\.(exe|app)$/, ""));
  };
  add(process.name);
  if (process.exePath) {
    add(baseName(process.exePath));
    add(/([^\\/]+)\.app[\\/]/i.exec(process.exePath)?.[1]);
  }
  return names;
}

function isLauncherProgram(names: Set<string>): boolean {
  return [STEAM, ...LAUNCHERS].some((launcher) => launcher.executables.some((exe) => names.has(exe)));
}

/** The game folder a text (a path or a command line) places a process in, for one launcher. */
export function launcherGameFolder(launcher: Launcher, text: string | null): string | null {
  if (!text) return null;
  for (const pattern of launcher.gameFolders) {
    const global = new RegExp(pattern.source, pattern.flags.includes("g") ? pattern.flags : `${pattern.flags}g`);
    for (const match of text.matchAll(global)) {
      const folder = match[1]!;
      if (!launcher.toolFolders.some((tool) => tool.test(folder))) return folder;
    }
  }
  return null;
}

/** The launcher game folder of a process: its executable path first, then its command line. */
function gameFolderOf(launcher: Launcher, process: ProcessInfo): string | null {
  return launcherGameFolder(launcher, process.exePath) ?? launcherGameFolder(launcher, process.commandLine);
}

/** The well-known game a process is, or null. */
export function knownGameOf(process: ProcessInfo): string | null {
  const names = processNames(process);
  for (const game of KNOWN_GAMES) {
    if (!game.executables.some((exe) => names.has(exe))) continue;
    if (game.commandLineIncludes && !process.commandLine?.toLowerCase().includes(game.commandLineIncludes)) continue;
    return game.name;
  }
  return null;
}

/** Finds the running game (see the file comment), or null. */
export function detectGame(processes: readonly ProcessInfo[], steamApp: { appId: number; name: string | null } | null = null): DetectedGame | null {
  const candidates = processes.filter((p) => !isLauncherProgram(processNames(p)));
  for (const process of candidates) {
    const folder = launcherGameFolder(STEAM, process.exePath);
    if (folder) return { name: folder, source: "steam" };
  }
  for (const process of candidates) {
    const folder = launcherGameFolder(STEAM, process.commandLine);
    if (folder) return { name: folder, source: "steam" };
  }
  if (steamApp) return { name: steamApp.name ?? knownGameIn(candidates) ?? `Steam game ${steamApp.appId}`, source: "steam" };
  for (const launcher of LAUNCHERS) {
    for (const process of candidates) {
      const folder = gameFolderOf(launcher, process);
      if (folder) return { name: folder, source: "launcher" };
      if (process.commandLine && launcher.commandLineMarkers.some((marker) => marker.test(process.commandLine!))) {
        return { name: knownGameOf(process) ?? process.name.replace(/\.exe$/i, ""), source: "launcher" };
      }
    }
  }
  const known = knownGameIn(candidates);
  return known ? { name: known, source: "list" } : null;
}

function knownGameIn(processes: readonly ProcessInfo[]): string | null {
  for (const process of processes) {
    const name = knownGameOf(process);
    if (name) return name;
  }
  return null;
}

/** The first of the owner's apps that is running (as the owner wrote it), matched case-insensitively. */
export function findOwnApp(processes: readonly ProcessInfo[], ownApps: readonly string[]): string | null {
  const wanted = ownApps.map((app) => ({ app, key: app.trim().toLowerCase().replace(/\.(exe|app)$/, "") })).filter((w) => w.key);
  if (wanted.length === 0) return null;
  for (const process of processes) {
    const names = processNames(process);
    const hit = wanted.find((w) => names.has(w.key));
    if (hit) return hit.app;
  }
  return null;
}
