/** Steam's running game from `reg query` output (Windows). */
import { describe, expect, it } from "vitest";
import { fakeCommandRunner } from "./fake-command-runner.fixture";
import { createSteamRegistrySource, parseRegValue } from "./steam-registry";

const RUNNING = "reg query HKCU\\Software\\Valve\\Steam /v RunningAppID";
const regDword = (value: string) => `\r\nHKEY_CURRENT_USER\\Software\\Valve\\Steam\r\n    RunningAppID    REG_DWORD    ${value}\r\n\r\n`;

describe("the Steam registry", () => {
  it("reads REG_DWORD values as numbers and REG_SZ as text", () => {
    expect(parseRegValue(regDword("0x10aaf4"), "RunningAppID")).toBe("1092340");
    expect(parseRegValue("\r\n    Name    REG_SZ    Cyberpunk 2077\r\n", "Name")).toBe("Cyberpunk 2077");
  });

  it("reports the running game with its name from the app's key", async () => {
    const run = fakeCommandRunner({
      [RUNNING]: regDword("0x10aaf4"),
      "reg query HKCU\\Software\\Valve\\Steam\\Apps\\1092340 /v Name": "\r\nHKEY_CURRENT_USER\\Software\\Valve\\Steam\\Apps\\1092340\r\n    Name    REG_SZ    Cyberpunk 2077\r\n",
    });
    expect(await createSteamRegistrySource(run).runningApp()).toEqual({ appId: 1092340, name: "Cyberpunk 2077" });
  });

  it("reports no game when the id is 0, when it is Wallpaper Engine, or when Steam is not installed", async () => {
    expect(await createSteamRegistrySource(fakeCommandRunner({ [RUNNING]: regDword("0x0") })).runningApp()).toBeNull();
    expect(await createSteamRegistrySource(fakeCommandRunner({ [RUNNING]: regDword("0x69758") })).runningApp()).toBeNull();
    const missing = { ok: false as const, reason: "failed" as const, message: "ERROR: The system was unable to find the specified registry key or value." };
    expect(await createSteamRegistrySource(fakeCommandRunner({ [RUNNING]: missing })).runningApp()).toBeNull();
  });

  it("keeps the game without a name when Steam wrote none", async () => {
    expect(await createSteamRegistrySource(fakeCommandRunner({ [RUNNING]: regDword("0x2d8") })).runningApp()).toEqual({ appId: 728, name: null });
  });
});
