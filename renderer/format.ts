/** Presentation helpers for figures the dashboard shows (money comes from shared/money.ts). */

/** "16 GB", "512 MB", "12 KB". */
export function formatBytes(bytes: number): string {
  const gb = bytes / 1024 ** 3;
  if (gb >= 1) return `${gb >= 10 ? Math.round(gb) : gb.toFixed(1).replace(/\.0$/, "")} GB`;
  if (bytes >= 1024 ** 2) return `${Math.round(bytes / 1024 ** 2)} MB`;
  return `${Math.max(0, Math.round(bytes / 1024))} KB`;
}

/** "12 MB/s". */
export function formatSpeed(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** Time left, rounded the way people say it: "45 s", "3 min", "1 h 20 min". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const minutes = Math.round(s / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

/** "412 tokens/s", "3.4 tokens/s". */
export function formatTokensPerSecond(rate: number): string {
  const shown = rate >= 100 ? Math.round(rate).toString() : rate.toFixed(1);
  return `${shown} tokens/s`;
}

/** "0x5b3E…1c38". */
export function shortAddress(address: string): string {
  return address.length > 12 ? `${address.slice(0, 6)}…${address.slice(-4)}` : address;
}

/** "CPU", "Metal", "CUDA", "Vulkan". */
export function backendLabel(backend: string): string {
  const known: Record<string, string> = { cpu: "CPU", metal: "Metal", cuda: "CUDA", vulkan: "Vulkan", webgpu: "WebGPU" };
  return known[backend.toLowerCase()] ?? backend;
}
