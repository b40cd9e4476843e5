import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { decodePng } from "../../resources/png-image";
import { createFakeElectron, type FakeElectron } from "../../tests/fake-electron/electron";
import { FakeControlApi } from "../../tests/fake-electron/fake-control-api";
import { retinaName, TRAY_IMAGE_VARIANTS, TRAY_STATES, trayImageFile, trayImageName, trayImageVariant } from "./tray-images";

const DIR = path.resolve(import.meta.dirname, "../../resources/tray");

describe("choosing the tray image", () => {
  it("uses template images on macOS whatever the theme", () => {
    expect(trayImageFile("earning", { platform: "darwin", dark: false })).toBe("tray-earningTemplate.png");
    expect(trayImageFile("paused", { platform: "darwin", dark: true })).toBe("tray-pausedTemplate.png");
  });

  it("uses the light or dark drawing on Windows and Linux", () => {
    expect(trayImageFile("ready", { platform: "win32", dark: false })).toBe("tray-ready-light.png");
    expect(trayImageFile("ready", { platform: "win32", dark: true })).toBe("tray-ready-dark.png");
    expect(trayImageFile("error", { platform: "linux", dark: true })).toBe("tray-error-dark.png");
    expect(trayImageVariant({ platform: "linux", dark: false })).toBe("light");
  });

  it("shows connecting while the agent starts", () => {
    expect(trayImageFile(null, { platform: "linux", dark: false })).toBe("tray-connecting-light.png");
    expect(trayImageFile(null, { platform: "darwin", dark: false })).toBe("tray-connectingTemplate.png");
  });
});

describe("the committed tray images", () => {
  it("exist for every state and variant at 16 px and 32 px (@2x)", () => {
    for (const state of TRAY_STATES) {
      for (const variant of TRAY_IMAGE_VARIANTS) {
        const name = trayImageName(state, variant);
        for (const [file, size] of [[name, 16], [retinaName(name), 32]] as const) {
          expect(existsSync(path.join(DIR, file)), file).toBe(true);
          const png = decodePng(readFileSync(path.join(DIR, file)));
          expect([png.width, png.height], file).toEqual([size, size]);
        }
      }
    }
  });

  it("are black and alpha only on macOS, so the menu bar can tint them", () => {
    for (const state of TRAY_STATES) {
      const { rgba } = decodePng(readFileSync(path.join(DIR, retinaName(trayImageName(state, "template")))));
      let opaque = 0;
      for (let i = 0; i < rgba.length; i += 4) {
        expect([rgba[i], rgba[i + 1], rgba[i + 2]]).toEqual([0, 0, 0]);
        if ((rgba[i + 3] ?? 0) > 128) opaque++;
      }
      expect(opaque, state).toBeGreaterThan(40);
    }
  });

  it("tell the states apart by shape, and the themes apart by colour", () => {
    const alphas = TRAY_STATES.map((state) => {
      const { rgba } = decodePng(readFileSync(path.join(DIR, retinaName(trayImageName(state, "template")))));
      return Buffer.from(rgba.filter((_, i) => i % 4 === 3)).toString("hex");
    });
    expect(new Set(alphas).size).toBe(TRAY_STATES.length);
    for (const state of TRAY_STATES) {
      const light = readFileSync(path.join(DIR, trayImageName(state, "light")));
      const dark = readFileSync(path.join(DIR, trayImageName(state, "dark")));
      expect(light.equals(dark), state).toBe(false);
    }
  });
});

describe("the tray following the OS theme", () => {
  let fake: FakeElectron;
  let createTray: typeof import("./tray").createTray;

  beforeEach(async () => {
    fake = createFakeElectron();
    vi.resetModules();
    vi.doMock("electron", () => fake.module);
    ({ createTray } = await import("./tray"));
  });

  const actions = { setSharing() {}, pause() {}, resume() {}, openWindow() {}, quit() {} };

  it("swaps to the dark drawing when Windows switches to a dark theme, and back", () => {
    const control = new FakeControlApi();
    const tray = createTray({ control, imagesDir: "/res/tray", actions, platform: "win32" });
    tray.render(control.state);
    expect(fake.trays[0]?.image).toMatchObject({ file: path.join("/res/tray", "tray-off-light.png") });
    fake.nativeTheme.change(true);
    expect(fake.trays[0]?.image).toMatchObject({ file: path.join("/res/tray", "tray-off-dark.png") });
    control.update({ sharing: true, activity: "earning" });
    expect(fake.trays[0]?.image).toMatchObject({ file: path.join("/res/tray", "tray-earning-dark.png") });
    fake.nativeTheme.change(false);
    expect(fake.trays[0]?.image).toMatchObject({ file: path.join("/res/tray", "tray-earning-light.png") });
    tray.destroy();
    expect(fake.nativeTheme.listenerCount("updated")).toBe(0);
  });

  it("keeps the template image on macOS when the theme changes", () => {
    const control = new FakeControlApi();
    createTray({ control, imagesDir: "/res/tray", actions, platform: "darwin" }).render(control.state);
    fake.nativeTheme.change(true);
    expect(fake.trays[0]?.image).toMatchObject({ file: path.join("/res/tray", "tray-offTemplate.png") });
  });
});
