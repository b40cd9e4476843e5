/**
 * The games and game launchers the node recognises, kept by hand. A launcher open on its own does
 * not pause sharing; a game it started does, found by the folder the launcher installs games in
 * (the folder's name is the game's name) or by a marker on the game's command line. Well-known
 * games are also recognised by their executable on any platform. Executable names are written
 * lower-case without `.exe`.
 */

/** A game known by its executable. */
export interface KnownGame {
  /** The name a person reads ("Cyberpunk 2077"). */
  readonly name: string;
  readonly executables: readonly string[];
  /** Only when the command line also holds this text (Minecraft runs in plain `java`). */
  readonly commandLineIncludes?: string;
}

/** A game launcher: its own programs, and where its games live. */
export interface Launcher {
  readonly name: string;
  /** The launcher's own programs (never a reason to pause). */
  readonly executables: readonly string[];
  /** Paths of its games; group 1 is the game's folder, named after the game. */
  readonly gameFolders: readonly RegExp[];
  /** Folders matched by {@link gameFolders} that hold the launcher itself or its tools. */
  readonly toolFolders: readonly RegExp[];
  /** Command-line markers of a game this launcher started. */
  readonly commandLineMarkers: readonly RegExp[];
}

const SEP = String.raw`[\\/]`;
const folderAfter = (...parts: string[]): RegExp => new RegExp(`${parts.join(SEP)}${SEP}([^\\\\/]+)${SEP}`, "i");

/** Steam's own games folder (Windows, macOS, Linux and Proton's `Z:\` paths alike). */
export const STEAM: Launcher = {
  name: "Steam",
  executables: ["steam", "steamwebhelper", "steamservice", "steam_osx", "steam.sh"],
  gameFolders: [folderAfter("steamapps", "common")],
  toolFolders: [/^Proton\b/i, /^SteamLinuxRuntime/i, /^Steam Linux Runtime/i, /^Steamworks Shared$/i, /^Steamworks Common Redistributables$/i, /^wallpaper_engine$/i, /^Wallpaper Engine$/i],
  commandLineMarkers: [],
};

/** Every other launcher. */
export const LAUNCHERS: readonly Launcher[] = [
  {
    name: "Epic Games",
    executables: ["epicgameslauncher", "epicwebhelper", "epiconlineservices", "epiconlineserviceshost", "epiconlineservicesuserhelper"],
    gameFolders: [folderAfter("Epic Games")],
    toolFolders: [/^Launcher$/i, /^DirectXRedist$/i, /^Epic Online Services$/i],
    commandLineMarkers: [/(^|\s)-epicportal(\s|$)/i, /(^|\s)-epicapp=/i],
  },
  {
    name: "GOG Galaxy",
    executables: ["galaxyclient", "galaxyclient helper", "galaxycommunication", "gog galaxy notifications renderer", "galaxyclientservice"],
    gameFolders: [folderAfter("GOG Galaxy", "Games"), folderAfter("GOG Games")],
    toolFolders: [],
    commandLineMarkers: [],
  },
  {
    name: "EA app",
    executables: ["eadesktop", "eabackgroundservice", "ealocalhostsvc", "eaconnect_microsoft", "origin", "originwebhelperservice"],
    gameFolders: [folderAfter("EA Games"), folderAfter("Origin Games")],
    toolFolders: [],
    commandLineMarkers: [],
  },
  {
    name: "Ubisoft Connect",
    executables: ["upc", "ubisoftconnect", "ubisoftgamelauncher", "ubisoftgamelauncher64", "uplaywebcore", "upc_service"],
    gameFolders: [folderAfter("Ubisoft Game Launcher", "games")],
    toolFolders: [],
    commandLineMarkers: [],
  },
  {
    name: "Battle.net",
    executables: ["battle.net", "battle.net launcher", "agent", "blizzard battle.net"],
    gameFolders: [],
    toolFolders: [],
    commandLineMarkers: [],
  },
  {
    name: "Riot Client",
    executables: ["riotclientservices", "riotclientux", "riotclientuxrender", "riotclientcrashhandler", "riot client"],
    gameFolders: [folderAfter("Riot Games")],
    toolFolders: [/^Riot Client$/i],
    commandLineMarkers: [],
  },
  {
    name: "Xbox",
    executables: ["xboxpcapp", "xboxappservices", "gamingservices", "gamingservicesnet", "xboxgamebar"],
    gameFolders: [folderAfter("XboxGames")],
    toolFolders: [/^GameSave$/i],
    commandLineMarkers: [],
  },
  {
    name: "Heroic",
    executables: ["heroic"],
    gameFolders: [folderAfter("Games", "Heroic")],
    toolFolders: [/^Prefixes$/i],
    commandLineMarkers: [],
  },
  {
    name: "Amazon Games",
    executables: ["amazon games ui", "amazon games services"],
    gameFolders: [folderAfter("Amazon Games", "Library")],
    toolFolders: [],
    commandLineMarkers: [],
  },
];

/** Popular games by executable (Windows, macOS and Linux builds). */
export const KNOWN_GAMES: readonly KnownGame[] = [
  { name: "Counter-Strike 2", executables: ["cs2", "csgo"] },
  { name: "Dota 2", executables: ["dota2"] },
  { name: "Elden Ring", executables: ["eldenring", "nightreign"] },
  { name: "Cyberpunk 2077", executables: ["cyberpunk2077"] },
  { name: "Fortnite", executables: ["fortniteclient-win64-shipping"] },
  { name: "VALORANT", executables: ["valorant-win64-shipping"] },
  { name: "Grand Theft Auto V", executables: ["gta5", "gta5_enhanced", "playgtav"] },
  { name: "Red Dead Redemption 2", executables: ["rdr2"] },
  { name: "League of Legends", executables: ["leagueclient", "league of legends"] },
  { name: "Overwatch 2", executables: ["overwatch"] },
  { name: "Minecraft", executables: ["minecraft.windows", "minecraft"] },
  { name: "Minecraft", executables: ["java", "javaw"], commandLineIncludes: "minecraft" },
  { name: "Rocket League", executables: ["rocketleague"] },
  { name: "Apex Legends", executables: ["r5apex", "r5apex_dx12"] },
  { name: "PUBG: Battlegrounds", executables: ["tslgame"] },
  { name: "Call of Duty", executables: ["cod", "modernwarfare", "blackopscoldwar", "vanguard"] },
  { name: "Baldur's Gate 3", executables: ["bg3", "bg3_dx11"] },
  { name: "Starfield", executables: ["starfield"] },
  { name: "Hogwarts Legacy", executables: ["hogwartslegacy"] },
  { name: "Diablo IV", executables: ["diablo iv"] },
  { name: "Diablo II: Resurrected", executables: ["d2r"] },
  { name: "World of Warcraft", executables: ["wow", "wowclassic", "world of warcraft"] },
  { name: "Hearthstone", executables: ["hearthstone"] },
  { name: "StarCraft II", executables: ["sc2", "sc2_x64", "starcraft ii"] },
  { name: "Rainbow Six Siege", executables: ["rainbowsix", "rainbowsix_vulkan", "rainbowsix_be"] },
  { name: "Destiny 2", executables: ["destiny2"] },
  { name: "Team Fortress 2", executables: ["tf_win64", "tf_linux64"] },
  { name: "Rust", executables: ["rustclient"] },
  { name: "Warframe", executables: ["warframe.x64"] },
  { name: "The Witcher 3", executables: ["witcher3"] },
  { name: "Fallout 4", executables: ["fallout4"] },
  { name: "Skyrim", executables: ["skyrimse", "skyrim"] },
  { name: "Genshin Impact", executables: ["genshinimpact", "yuanshen"] },
  { name: "Honkai: Star Rail", executables: ["starrail"] },
  { name: "Path of Exile", executables: ["pathofexile", "pathofexile_x64", "pathofexilesteam", "pathofexile_x64steam"] },
  { name: "Roblox", executables: ["robloxplayerbeta", "roblox"] },
  { name: "Helldivers 2", executables: ["helldivers2"] },
  { name: "Palworld", executables: ["palworld-win64-shipping"] },
  { name: "Marvel Rivals", executables: ["marvel-win64-shipping"] },
  { name: "Black Myth: Wukong", executables: ["b1-win64-shipping"] },
  { name: "Monster Hunter", executables: ["monsterhunterwilds", "monsterhunterworld", "monsterhunterrise"] },
  { name: "Sea of Thieves", executables: ["sotgame"] },
  { name: "Forza Horizon 5", executables: ["forzahorizon5"] },
  { name: "Microsoft Flight Simulator", executables: ["flightsimulator", "flightsimulator2024"] },
  { name: "Escape from Tarkov", executables: ["escapefromtarkov"] },
  { name: "The Sims 4", executables: ["ts4_x64", "the sims 4"] },
  { name: "Stardew Valley", executables: ["stardew valley", "stardewvalley"] },
  { name: "Terraria", executables: ["terraria"] },
  { name: "Factorio", executables: ["factorio"] },
  { name: "Civilization VI", executables: ["civilizationvi", "civilizationvi_dx12", "civ6"] },
  { name: "Dead by Daylight", executables: ["deadbydaylight-win64-shipping"] },
  { name: "EA SPORTS FC", executables: ["fc24", "fc25", "fc26"] },
  { name: "Satisfactory", executables: ["factorygame-win64-shipping", "factorygamesteam-win64-shipping"] },
  { name: "Valheim", executables: ["valheim"] },
  { name: "Halo Infinite", executables: ["haloinfinite"] },
  { name: "osu!", executables: ["osu!"] },
];
