/**
 * Whether a Linux machine runs on its battery, from `/sys/class/power_supply/<name>/`:
 * an AC adapter (type Mains or USB) online means no; a system battery Discharging with no AC
 * online means yes; a battery charging, full or idle means no; no supply at all (a desktop)
 * gives null. Batteries of devices (a wireless mouse: `scope` = Device) are not the machine's.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { BatterySource } from "./signal-sources";

/** One entry of the power-supply folder. */
export interface PowerSupply {
  readonly type: string;
  readonly online: boolean | null;
  readonly status: string | null;
  readonly scope: string | null;
}

/** The battery verdict from the supplies (see the file comment). */
export function onBatteryFromSupplies(supplies: readonly PowerSupply[]): boolean | null {
  const own = supplies.filter((s) => s.scope?.toLowerCase() !== "device");
  const adapters = own.filter((s) => s.type === "Mains" || s.type === "USB");
  const batteries = own.filter((s) => s.type === "Battery");
  if (adapters.some((s) => s.online === true)) return false;
  if (batteries.some((s) => s.status?.toLowerCase() === "discharging")) return true;
  if (batteries.length > 0) return false;
  return null;
}

async function readOptional(file: string): Promise<string | null> {
  try {
    return (await readFile(file, "utf8")).trim();
  } catch {
    return null;
  }
}

/** Reads every supply under a power-supply folder (a parameter so tests can pass a fake tree). */
export async function readPowerSupplies(root: string): Promise<PowerSupply[]> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return [];
  }
  const supplies = await Promise.all(
    names.map(async (name) => {
      const dir = path.join(root, name);
      const type = await readOptional(path.join(dir, "type"));
      if (!type) return null;
      const online = await readOptional(path.join(dir, "online"));
      return {
        type,
        online: online === null ? null : online === "1",
        status: await readOptional(path.join(dir, "status")),
        scope: await readOptional(path.join(dir, "scope")),
      };
    }),
  );
  return supplies.filter((s): s is PowerSupply => s !== null);
}

/** The Linux battery source over a power-supply folder. */
export function createSysfsBatterySource(root: string = "/sys/class/power_supply"): BatterySource {
  return { onBattery: async () => onBatteryFromSupplies(await readPowerSupplies(root)) };
}
