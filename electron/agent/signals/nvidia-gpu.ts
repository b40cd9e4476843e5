/**
 * The NVIDIA GPU's state from `nvidia-smi` (Linux and Windows): the hottest GPU's temperature,
 * the busiest one's utilisation, and the processes holding compute memory. No `nvidia-smi`, or
 * one that cannot talk to its driver, means the GPU signal is unavailable. The thermal state of
 * machines without an OS thermal signal is derived from this temperature.
 */
import type { ThermalState } from "../../../shared/sharing-types";
import type { GpuProcess, GpuReading, GpuSource } from "./signal-sources";
import type { RunCommand } from "./run-command";
import { baseName } from "./process-list";

/** At or above this GPU temperature (°C) the state is "serious". */
export const GPU_SERIOUS_CELSIUS = 85;
/** At or above this GPU temperature (°C) the state is "critical". */
export const GPU_CRITICAL_CELSIUS = 92;

/** A number from an nvidia-smi field, or null for "[N/A]", "[Not Supported]" and the like. */
function smiNumber(field: string | undefined): number | null {
  const text = field?.trim() ?? "";
  if (!/^-?\d+(\.\d+)?$/.test(text)) return null;
  return Number(text);
}

/** Parses `--query-gpu=temperature.gpu,utilization.gpu --format=csv,noheader,nounits` (one line per GPU). */
export function parseGpuQuery(output: string): { temperatureC: number | null; utilizationPercent: number | null } | null {
  const rows = output
    .split(/\r?\n/)
    .filter((line) => line.trim())
    .map((line) => line.split(","));
  if (rows.length === 0 || rows.some((row) => row.length < 2)) return null;
  const max = (values: (number | null)[]): number | null => {
    const known = values.filter((v): v is number => v !== null);
    return known.length ? Math.max(...known) : null;
  };
  return {
    temperatureC: max(rows.map((row) => smiNumber(row[0]))),
    utilizationPercent: max(rows.map((row) => smiNumber(row[1]))),
  };
}

/** Parses `--query-compute-apps=pid,process_name,used_memory --format=csv,noheader,nounits`. */
export function parseComputeApps(output: string): GpuProcess[] {
  const processes: GpuProcess[] = [];
  for (const line of output.split(/\r?\n/)) {
    const first = line.indexOf(",");
    const last = line.lastIndexOf(",");
    if (first < 0 || last <= first) continue;
    const pid = smiNumber(line.slice(0, first));
    if (pid === null) continue;
    const name = line.slice(first + 1, last).trim();
    processes.push({ pid, name: baseName(name) || name, usedMemoryMiB: smiNumber(line.slice(last + 1)) });
  }
  return processes;
}

/** The thermal state a GPU temperature means, or null when unknown. */
export function thermalFromGpuTemperature(celsius: number | null): ThermalState | null {
  if (celsius === null) return null;
  if (celsius >= GPU_CRITICAL_CELSIUS) return "critical";
  if (celsius >= GPU_SERIOUS_CELSIUS) return "serious";
  return "nominal";
}

/** The GPU source over `nvidia-smi`. */
export function createNvidiaGpuSource(run: RunCommand): GpuSource {
  return {
    read: async (): Promise<GpuReading | null> => {
      const gpu = await run("nvidia-smi", ["--query-gpu=temperature.gpu,utilization.gpu", "--format=csv,noheader,nounits"]);
      if (!gpu.ok) return null;
      const state = parseGpuQuery(gpu.stdout);
      if (!state) return null;
      const apps = await run("nvidia-smi", ["--query-compute-apps=pid,process_name,used_memory", "--format=csv,noheader,nounits"]);
      if (!apps.ok) return null;
      return { ...state, processes: parseComputeApps(apps.stdout) };
    },
  };
}
