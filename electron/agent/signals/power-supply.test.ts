/** On battery or not, from a fake /sys/class/power_supply tree. */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSysfsBatterySource } from "./power-supply";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "offpeak-power-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function supply(name: string, files: Record<string, string>): Promise<void> {
  await mkdir(path.join(root, name), { recursive: true });
  for (const [file, value] of Object.entries(files)) await writeFile(path.join(root, name, file), `${value}\n`);
}

const onBattery = () => createSysfsBatterySource(root).onBattery();

describe("sysfs battery", () => {
  it("says on battery when the battery discharges and the adapter is unplugged", async () => {
    await supply("AC", { type: "Mains", online: "0" });
    await supply("BAT0", { type: "Battery", status: "Discharging", scope: "System" });
    expect(await onBattery()).toBe(true);
  });

  it("says not on battery when the adapter is online, whatever the battery says", async () => {
    await supply("ADP1", { type: "Mains", online: "1" });
    await supply("BAT0", { type: "Battery", status: "Discharging" });
    expect(await onBattery()).toBe(false);
  });

  it("counts a USB-C adapter that is online", async () => {
    await supply("ucsi-source-psy-USBC000:001", { type: "USB", online: "1" });
    await supply("BAT1", { type: "Battery", status: "Discharging" });
    expect(await onBattery()).toBe(false);
  });

  it("says not on battery when the battery is charging or full without adapter info", async () => {
    await supply("BAT0", { type: "Battery", status: "Full" });
    expect(await onBattery()).toBe(false);
  });

  it("ignores the batteries of devices such as a wireless mouse", async () => {
    await supply("hidpp_battery_0", { type: "Battery", status: "Discharging", scope: "Device" });
    expect(await onBattery()).toBeNull();
  });

  it("is unknown (null) with no supply at all, or no folder", async () => {
    expect(await onBattery()).toBeNull();
    expect(await createSysfsBatterySource(path.join(root, "missing")).onBattery()).toBeNull();
  });
});
